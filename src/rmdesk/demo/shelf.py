"""The demo bank's marketing shelf: what account managers can sell, as products.

Each line is one product of ``marketing.Product``; sales windows are days relative to
the day the bank is built (``None``: open-ended), so the shelf is always current.
The names are data, as the bank's core system would give them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from rmdesk.marketing.models import Product

T = Product.Type
I = Product.Issuer  # noqa: E741 - the issuer table reads better short
A = Product.AssetClass
Q = Product.Qualification

EVERY_TIER: tuple[str, ...] = ()
WEALTHY = ("gold", "diamond", "private")
PRIVATE = ("diamond", "private")


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    type: str
    issuer: str
    asset: str
    risk: int
    term_days: int | None
    yields: tuple[str, str] | None  # expected yield, % a year
    minimum: str
    increment: str
    window: tuple[int | None, int | None]  # opens / closes, days from today
    quota_m: int | None  # CNY millions
    tiers: tuple[str, ...]
    status: str = Product.Status.ON_SALE
    cooling_off_hours: int = 0


SHELF: tuple[Line, ...] = (
    # Wealth management (public), from the bank's WM subsidiary and the bank itself.
    Line("WMP-CASH01", "天天利现金管理1号", T.WM_PUBLIC, I.WM_SUBSIDIARY, A.CASH, 1, None,
         ("1.60", "2.10"), "1", "0.01", (-420, None), None, EVERY_TIER),
    Line("WMP-FI090", "稳享固收90天A", T.WM_PUBLIC, I.WM_SUBSIDIARY, A.FIXED_INCOME, 2, 90,
         ("2.50", "3.10"), "1", "1", (-160, 12), 800, EVERY_TIER),
    Line("WMP-FI180", "睿盈180天B", T.WM_PUBLIC, I.WM_SUBSIDIARY, A.FIXED_INCOME, 2, 180,
         ("2.80", "3.40"), "1", "1", (-150, 30), 1_200, WEALTHY),
    Line("WMP-FI365", "安鑫一年期", T.WM_PUBLIC, I.WM_SUBSIDIARY, A.FIXED_INCOME, 2, 365,
         ("3.00", "3.60"), "1", "1", (-140, 45), 1_500, EVERY_TIER),
    Line("WMP-MIX365", "稳健增利混合一年", T.WM_PUBLIC, I.WM_SUBSIDIARY, A.MIXED, 3, 365,
         ("3.20", "4.80"), "1", "1", (-130, 20), 600, WEALTHY),
    Line("WMP-EQ730", "权益优选两年", T.WM_PUBLIC, I.WM_SUBSIDIARY, A.EQUITY, 4, 730,
         ("4.00", "8.00"), "1", "1", (-120, 60), 300, WEALTHY),
    Line("WMB-FI182", "鑫享182天（自营）", T.WM_PUBLIC, I.BANK, A.FIXED_INCOME, 2, 182,
         ("2.70", "3.20"), "10000", "1000", (-150, 15), 500, EVERY_TIER),
    Line("WMP-FI090N", "稳享固收90天（下期）", T.WM_PUBLIC, I.WM_SUBSIDIARY, A.FIXED_INCOME, 2,
         90, ("2.50", "3.00"), "1", "1", (7, 21), 800, EVERY_TIER, Product.Status.DRAFT),
    # Wealth management (private): qualified investors, with a cooling-off.
    Line("WMV-FI365", "私享固收一年期", T.WM_PRIVATE, I.WM_SUBSIDIARY, A.FIXED_INCOME, 3, 365,
         ("3.60", "4.20"), "300000", "10000", (-140, 40), 600, PRIVATE, cooling_off_hours=24),
    Line("WMV-MIX730", "私享多元配置两年", T.WM_PRIVATE, I.WM_SUBSIDIARY, A.MIXED, 4, 730,
         ("4.00", "6.50"), "400000", "10000", (-120, 25), 400, PRIVATE, cooling_off_hours=24),
    Line("WMV-EQ1095", "私享权益精选三年", T.WM_PRIVATE, I.WM_SUBSIDIARY, A.EQUITY, 5, 1095,
         ("5.00", "12.00"), "1000000", "100000", (-100, 50), 300, ("private",),
         cooling_off_hours=24),
    # Funds, sold as agent.
    Line("FD-MM01", "瑞丰货币A", T.FUND, I.THIRD_PARTY, A.CASH, 1, None, ("1.50", "1.90"),
         "1", "0.01", (-500, None), None, EVERY_TIER),
    Line("FD-BD01", "博远稳健债券A", T.FUND, I.THIRD_PARTY, A.FIXED_INCOME, 2, None, None,
         "10", "1", (-500, None), None, EVERY_TIER),
    Line("FD-MX01", "嘉禾成长混合", T.FUND, I.THIRD_PARTY, A.MIXED, 3, None, None, "10", "1",
         (-500, None), None, EVERY_TIER),
    Line("FD-IX300", "恒通沪深300指数增强", T.FUND, I.THIRD_PARTY, A.EQUITY, 4, None, None, "10",
         "1", (-500, None), None, EVERY_TIER),
    Line("FD-TECH", "华信科技创新股票", T.FUND, I.THIRD_PARTY, A.EQUITY, 5, None, None, "10",
         "1", (-500, None), None, WEALTHY),
    Line("FD-QDII", "远航全球精选（QDII）", T.FUND, I.THIRD_PARTY, A.EQUITY, 5, None, None,
         "1000", "1", (-90, None), 200, WEALTHY, Product.Status.SUSPENDED),
    # Insurance, sold as agent, with the fifteen-day free-look period.
    Line("IN-CI20", "康宁重疾险（20年交）", T.INSURANCE, I.THIRD_PARTY, A.PROTECTION, 1, None,
         None, "3000", "100", (-400, None), None, EVERY_TIER, cooling_off_hours=360),
    Line("IN-ANN10", "金福年金保险（分红型）", T.INSURANCE, I.THIRD_PARTY, A.PROTECTION, 2,
         3650, ("2.50", "3.50"), "10000", "1000", (-300, None), None, WEALTHY,
         cooling_off_hours=360),
    Line("IN-UL", "安康万能险", T.INSURANCE, I.THIRD_PARTY, A.PROTECTION, 2, None,
         ("2.00", "3.00"), "5000", "1000", (-300, None), None, EVERY_TIER,
         cooling_off_hours=360),
    # Deposits.
    Line("TD-3M", "整存整取（三个月）", T.TIME_DEPOSIT, I.BANK, A.CASH, 1, 91, ("1.05", "1.05"),
         "50", "1", (-700, None), None, EVERY_TIER),
    Line("TD-1Y", "整存整取（一年）", T.TIME_DEPOSIT, I.BANK, A.CASH, 1, 365, ("1.35", "1.35"),
         "50", "1", (-700, None), None, EVERY_TIER),
    Line("CD-3Y", "个人大额存单（三年）2026年第12期", T.TIME_DEPOSIT, I.BANK, A.FIXED_INCOME, 1,
         1095, ("1.90", "1.90"), "200000", "10000", (-20, 10), 2_000, WEALTHY),
    Line("SD-AU3M", "挂钩黄金结构性存款（3个月）", T.STRUCTURED_DEPOSIT, I.BANK, A.COMMODITY, 2,
         91, ("1.20", "3.20"), "10000", "1000", (-14, 6), 300, EVERY_TIER),
    Line("SD-FX6M", "挂钩汇率结构性存款（6个月）", T.STRUCTURED_DEPOSIT, I.BANK, A.COMMODITY, 2,
         182, ("1.30", "3.50"), "50000", "1000", (-100, 3), 400, WEALTHY),
    Line("SD-AU3MP", "挂钩黄金结构性存款（上期）", T.STRUCTURED_DEPOSIT, I.BANK, A.COMMODITY, 2,
         91, ("1.20", "3.00"), "10000", "1000", (-60, -30), 300, EVERY_TIER,
         Product.Status.CLOSED),
    # Government bonds and metals.
    Line("GB-SAV3Y", "储蓄国债（电子式）三年期", T.GOVERNMENT_BOND, I.BANK, A.FIXED_INCOME, 1,
         1095, ("1.63", "1.63"), "100", "100", (-3, 7), 50, EVERY_TIER),
    Line("GB-SAV5Y", "储蓄国债（电子式）五年期", T.GOVERNMENT_BOND, I.BANK, A.FIXED_INCOME, 1,
         1825, ("1.70", "1.70"), "100", "100", (-3, 7), 50, EVERY_TIER),
    Line("PM-BAR50", "如意金条50克", T.PHYSICAL_METAL, I.BANK, A.COMMODITY, 3, None, None,
         "30000", "100", (-365, None), None, EVERY_TIER),
    # Credit.
    Line("LN-MTG", "个人住房贷款", T.LOAN, I.BANK, A.CREDIT, 1, 9125, ("3.05", "3.55"), "100000",
         "10000", (-900, None), None, EVERY_TIER),
    Line("LN-CON", "个人消费贷款（随心贷）", T.LOAN, I.BANK, A.CREDIT, 1, 1095, ("3.20", "6.00"),
         "10000", "1000", (-900, None), None, EVERY_TIER),
    Line("LN-BIZ", "小微经营贷", T.LOAN, I.BANK, A.CREDIT, 1, 1095, ("3.45", "4.80"), "100000",
         "10000", (-900, None), None, EVERY_TIER),
    Line("CC-STD", "标准信用卡", T.CARD, I.BANK, A.CREDIT, 1, None, None, "0.01", "0.01",
         (-900, None), None, EVERY_TIER),
    Line("CC-PLT", "白金信用卡", T.CARD, I.BANK, A.CREDIT, 1, None, None, "0.01", "0.01",
         (-900, None), None, WEALTHY),
)  # fmt: skip

QUALIFICATION: dict[str, str] = {
    T.WM_PUBLIC: Q.WEALTH,
    T.WM_PRIVATE: Q.WEALTH,
    T.FUND: Q.FUND,
    T.INSURANCE: Q.INSURANCE,
}


def shelf_products(*, today: dt.date) -> list[Product]:
    """The shelf as unsaved products, windows placed around ``today`` (local 09:00 to
    17:00, the way a bank opens and closes a subscription period)."""
    zone = timezone.get_current_timezone()

    def at(offset: int | None, hour: int) -> dt.datetime | None:
        if offset is None:
            return None
        return dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(hour), tzinfo=zone)

    products = []
    for line in SHELF:
        opens, closes = line.window
        products.append(
            Product(
                code=line.code,
                name=line.name,
                type=line.type,
                issuer_type=line.issuer,
                asset_class=line.asset,
                risk_level=line.risk,
                term_days=line.term_days,
                yield_low=Decimal(line.yields[0]) if line.yields else None,
                yield_high=Decimal(line.yields[1]) if line.yields else None,
                min_amount=Decimal(line.minimum),
                increment=Decimal(line.increment),
                sale_starts_at=at(opens, 9),
                sale_ends_at=at(closes, 17),
                quota=Decimal(line.quota_m) * 1_000_000 if line.quota_m else None,
                target_tiers=list(line.tiers),
                qualification_needed=QUALIFICATION.get(line.type, ""),
                cooling_off_hours=line.cooling_off_hours,
                recording_retention_years=20 if line.type in QUALIFICATION else None,
                status=line.status,
            )
        )
    return products
