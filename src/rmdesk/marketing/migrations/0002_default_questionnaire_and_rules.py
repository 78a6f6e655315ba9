"""Seed the default risk questionnaire (v1) and the suitability rule set (v1).

The data is written out here, not imported, so this migration means the same thing
forever; later versions are new rows, never edits.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _q(code: str, en: str, zh: str, options: list[tuple[str, str, str, int]]) -> dict[str, Any]:
    return {
        "code": code,
        "text": {"en": en, "zh-hans": zh},
        "options": [
            {"code": o_code, "text": {"en": o_en, "zh-hans": o_zh}, "score": score}
            for o_code, o_en, o_zh, score in options
        ],
    }


QUESTIONS = [
    _q("age", "Your age", "您的年龄", [
        ("a", "Under 30", "30岁以下", 3),
        ("b", "30 to 50", "30–50岁", 4),
        ("c", "51 to 64", "51–64岁", 2),
        ("d", "65 or over", "65岁及以上", 1),
    ]),
    _q("finances", "Your household's financial assets", "家庭金融资产", [
        ("a", "Under CNY 500,000", "50万元以下", 1),
        ("b", "CNY 500,000 to 3 million", "50万–300万元", 3),
        ("c", "Over CNY 3 million", "300万元以上", 5),
    ]),
    _q("experience", "Your investment experience", "投资经验", [
        ("a", "None, deposits only", "无，仅有存款", 1),
        ("b", "Wealth-management products or bonds", "理财产品或债券", 3),
        ("c", "Funds, shares or derivatives for over 2 years", "基金、股票或衍生品两年以上", 5),
    ]),
    _q("purpose", "The purpose of this money", "投资目的", [
        ("a", "Keep it safe", "保本保值", 1),
        ("b", "Steady growth", "稳健增值", 3),
        ("c", "High growth", "追求较高收益", 5),
    ]),
    _q("return", "The annual return you expect", "期望年化收益", [
        ("a", "About the deposit rate", "与存款利率相当", 1),
        ("b", "3% to 6%", "3%–6%", 3),
        ("c", "Over 6%", "6%以上", 5),
    ]),
    _q("preference", "When markets fall sharply you would", "市场大幅下跌时您会", [
        ("a", "Sell everything", "全部卖出", 1),
        ("b", "Wait and see", "观望", 3),
        ("c", "Buy more", "加仓", 5),
    ]),
    _q("liquidity", "When you may need this money", "资金可能的使用时间", [
        ("a", "Within 6 months", "6个月内", 1),
        ("b", "In 6 months to 3 years", "6个月至3年", 3),
        ("c", "Not for 3 years or more", "3年以上", 5),
    ]),
    _q("loss", "The loss you could bear", "可承受的亏损", [
        ("a", "None at all", "不能承受任何亏损", 0),
        ("b", "Up to 10%", "10%以内", 2),
        ("c", "Up to 30%", "30%以内", 4),
        ("d", "More than 30%", "30%以上", 5),
    ]),
]
# "None at all" marks the customer as unable to bear loss: the lowest category (S3).
QUESTIONS[-1]["options"][0]["loss_unable"] = True

DEFINITION = {
    "questions": QUESTIONS,
    # Score from → level: 7–14 C1, 15–20 C2, 21–27 C3, 28–33 C4, 34–40 C5.
    "bands": [
        {"min": 0, "level": 1},
        {"min": 15, "level": 2},
        {"min": 21, "level": 3},
        {"min": 28, "level": 4},
        {"min": 34, "level": 5},
    ],
}

PARAMETERS = {
    "elderly_age": 65,
    "private_cooling_off_hours": 24,
    "qualified_evidence_valid_days": 365,
    "qualified_min_experience_years": 2,
    "assessed_types": ["wm_public", "wm_private", "fund", "structured_deposit", "insurance"],
    "override_types": ["fund"],
    "private_types": ["wm_private"],
    "recording_types": ["wm_public", "wm_private", "fund", "insurance", "structured_deposit"],
    "recording_channels": ["branch"],
    "minimums": [
        ["bank", "public", "*", "10000"],
        ["wm_subsidiary", "public", "*", "1"],
        ["*", "private", "fixed_income", "300000"],
        ["*", "private", "cash", "300000"],
        ["*", "private", "mixed", "400000"],
        ["*", "private", "equity", "1000000"],
        ["*", "private", "commodity", "1000000"],
        ["*", "private", "*", "1000000"],
    ],
    "recording_retention_years": 20,
    "time_zone": "Asia/Shanghai",
}


def seed(apps: Any, schema_editor: Any) -> None:
    Questionnaire = apps.get_model("marketing", "Questionnaire")
    RuleSet = apps.get_model("marketing", "RuleSet")
    if not Questionnaire.objects.exists():
        Questionnaire.objects.create(
            version=1, title="个人客户风险承受能力评估问卷", definition=DEFINITION, active=True
        )
    if not RuleSet.objects.exists():
        RuleSet.objects.create(
            version=1, parameters=PARAMETERS, active=True, note="DOMAIN.md §1 defaults"
        )


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_shelf_assessments_sales_campaigns")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
