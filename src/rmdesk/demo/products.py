"""The synthetic bank's product shelf, as holdings name it.

A later product-shelf issue can load these as products; holdings already carry their
codes and names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rmdesk.customers.models import Holding

T = Holding.ProductType


@dataclass(frozen=True)
class Product:
    type: str
    code: str
    name: str
    term_days: int | None  # None: open-ended
    minimum: int  # CNY
    risk: int  # R1-R5
    audience: str  # "individual", "corporate" or "any"
    account_prefix: str


SHELF: tuple[Product, ...] = (
    Product(T.DEMAND_DEPOSIT, "DD-P", "个人活期储蓄", None, 0, 1, "individual", ""),
    Product(T.DEMAND_DEPOSIT, "DD-C", "单位基本存款账户", None, 0, 1, "corporate", ""),
    Product(T.TIME_DEPOSIT, "TD-3M", "整存整取（三个月）", 91, 50, 1, "individual", "TD"),
    Product(T.TIME_DEPOSIT, "TD-6M", "整存整取（六个月）", 182, 50, 1, "individual", "TD"),
    Product(T.TIME_DEPOSIT, "TD-1Y", "整存整取（一年）", 365, 50, 1, "individual", "TD"),
    Product(T.TIME_DEPOSIT, "TD-2Y", "整存整取（二年）", 730, 50, 1, "individual", "TD"),
    Product(T.TIME_DEPOSIT, "TD-3Y", "整存整取（三年）", 1095, 50, 1, "individual", "TD"),
    Product(T.TIME_DEPOSIT, "CD-3Y", "个人大额存单（三年）", 1095, 200_000, 1, "individual", "CD"),
    Product(T.TIME_DEPOSIT, "TDC-1Y", "单位定期存款（一年）", 365, 10_000, 1, "corporate", "TD"),
    Product(T.TIME_DEPOSIT, "TDC-3M", "单位定期存款（三个月）", 91, 10_000, 1, "corporate", "TD"),
    Product(
        T.STRUCTURED_DEPOSIT, "SD-G3M", "挂钩黄金结构性存款（3个月）", 91, 10_000, 1, "any", "SD"
    ),
    Product(
        T.STRUCTURED_DEPOSIT, "SD-F6M", "挂钩汇率结构性存款（6个月）", 182, 50_000, 2, "any", "SD"
    ),
    Product(
        T.STRUCTURED_DEPOSIT,
        "SD-C1Y",
        "单位结构性存款（1年）",
        365,
        1_000_000,
        2,
        "corporate",
        "SD",
    ),
    Product(T.WEALTH, "WM-D", "天天利现金管理", None, 1, 1, "any", "WM"),
    Product(T.WEALTH, "WM-90", "稳享固收90天", 90, 10_000, 2, "individual", "WM"),
    Product(T.WEALTH, "WM-180", "睿盈180天", 180, 10_000, 2, "individual", "WM"),
    Product(T.WEALTH, "WM-365", "安鑫一年期", 365, 10_000, 3, "individual", "WM"),
    Product(T.WEALTH, "WM-P1Y", "私享固收一年期", 365, 300_000, 3, "individual", "WM"),
    Product(T.WEALTH, "WM-PE", "私享权益精选", 730, 1_000_000, 4, "individual", "WM"),
    Product(T.WEALTH, "WM-C90", "对公稳利90天", 90, 100_000, 2, "corporate", "WM"),
    Product(T.FUND, "FD-004", "瑞丰货币A", None, 1, 1, "any", "FD"),
    Product(T.FUND, "FD-001", "博远稳健债券A", None, 10, 2, "individual", "FD"),
    Product(T.FUND, "FD-002", "嘉禾成长混合", None, 10, 3, "individual", "FD"),
    Product(T.FUND, "FD-003", "恒通沪深300指数", None, 10, 4, "individual", "FD"),
    Product(T.FUND, "FD-005", "华信科技创新股票", None, 10, 5, "individual", "FD"),
    Product(T.INSURANCE, "IN-HLTH", "康宁重疾险", None, 2_000, 1, "individual", "IN"),
    Product(T.INSURANCE, "IN-LIFE", "安康终身寿险", None, 5_000, 1, "individual", "IN"),
    Product(T.INSURANCE, "IN-ANN", "金福年金保险（分红型）", None, 10_000, 2, "individual", "IN"),
    Product(T.BOND, "BD-CGB3", "储蓄国债（电子式）三年期", 1095, 100, 1, "individual", "BD"),
    Product(T.BOND, "BD-CGB5", "记账式国债（五年期）", 1825, 100, 1, "any", "BD"),
    Product(T.BOND, "BD-LGB", "地方政府债（五年期）", 1825, 100, 2, "any", "BD"),
    Product(T.BOND, "BD-ENT", "企业债（三年期）", 1095, 100_000, 3, "corporate", "BD"),
    Product(T.PRECIOUS_METAL, "PM-ACC", "积存金", None, 500, 3, "individual", "PM"),
    Product(T.PRECIOUS_METAL, "PM-BAR", "实物金条", None, 10_000, 2, "individual", "PM"),
    Product(T.LOAN, "LN-MTG", "个人住房贷款", 9125, 0, 1, "individual", "LN"),
    Product(T.LOAN, "LN-CON", "个人消费贷款", 1095, 0, 1, "individual", "LN"),
    Product(T.LOAN, "LN-BIZ", "个人经营贷款", 730, 0, 1, "individual", "LN"),
    Product(T.LOAN, "LN-WC", "流动资金贷款", 365, 0, 1, "corporate", "LN"),
    Product(T.LOAN, "LN-FA", "固定资产贷款", 1825, 0, 1, "corporate", "LN"),
    Product(T.CREDIT_CARD, "CC-STD", "标准信用卡", None, 0, 1, "individual", ""),
    Product(T.CREDIT_CARD, "CC-PLT", "白金信用卡", None, 0, 1, "individual", ""),
)

BY_CODE = {product.code: product for product in SHELF}


@cache
def shelf_for(product_type: str, *, corporate: bool) -> tuple[Product, ...]:
    """The products of a type a customer of this kind may hold, lowest minimum first."""
    audience = {"corporate", "any"} if corporate else {"individual", "any"}
    found = [p for p in SHELF if p.type == product_type and p.audience in audience]
    return tuple(sorted(found, key=lambda p: p.minimum))
