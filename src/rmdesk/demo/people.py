"""Names and words for the synthetic bank: people, companies, jobs, merchants, banks.

Surnames follow their real frequencies (王, 李 and 张 are a fifth of China); given
names follow the fashion of the decade a person was born in and their gender.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

# (surname, pinyin, weight ‰): the hundred commonest, by the 2020 household registration.
_SURNAMES = (
    "王wang71 李li70 张zhang67 刘liu54 陈chen45 杨yang31 黄huang22 赵zhao20 吴wu20 周zhou19 "
    "徐xu15 孙sun15 马ma14 朱zhu13 胡hu12 郭guo12 何he11 高gao11 林lin11 罗luo9 郑zheng9 "
    "梁liang8 谢xie8 宋song7 唐tang7 许xu6 韩han6 冯feng6 邓deng6 曹cao6 彭peng5 曾zeng5 "
    "肖xiao5 田tian5 董dong5 袁yuan4 潘pan4 于yu4 蒋jiang4 蔡cai4 余yu4 杜du4 叶ye4 程cheng4 "
    "苏su3 魏wei3 吕lv3 丁ding3 任ren3 沈shen3 姚yao3 卢lu3 姜jiang3 崔cui3 钟zhong3 谭tan3 "
    "陆lu3 汪wang3 范fan3 金jin3 石shi3 廖liao3 贾jia2 夏xia2 韦wei2 付fu2 方fang2 白bai2 "
    "邹zou2 孟meng2 熊xiong2 秦qin2 邱qiu2 江jiang2 尹yin2 薛xue2 闫yan2 段duan2 雷lei2 侯hou2 "
    "龙long2 史shi2 陶tao1 黎li1 贺he1 顾gu1 毛mao1 郝hao1 龚gong1 邵shao1 万wan1 钱qian1 "
    "严yan1 覃qin1 武wu1 戴dai1 莫mo1 孔kong1 向xiang1 汤tang1 欧阳ouyang1 司马sima1 "
    "上官shangguan1 诸葛zhuge1"
)


def _parse_surnames() -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
    names: list[str] = []
    pinyin: list[str] = []
    weights: list[int] = []
    for item in _SURNAMES.split():
        han = "".join(ch for ch in item if ord(ch) > 0x2E80)
        latin = "".join(ch for ch in item if ch.isascii() and ch.isalpha())
        digits = "".join(ch for ch in item if ch.isdigit())
        names.append(han)
        pinyin.append(latin)
        weights.append(int(digits))
    return tuple(names), tuple(pinyin), tuple(accumulate(weights))


SURNAMES, SURNAME_PINYIN, _SURNAME_CUM = _parse_surnames()

# Given names by era (born before 1965, 1965-1989, from 1990) and gender: whole names
# people were given, and single characters that also combine.
_GIVEN = {
    ("old", "male"): (
        "建国 建军 国庆 国华 国强 志强 志明 志刚 德明 德胜 福生 长林 振华 卫东 卫国 红军 永康 "
        "永明 玉林 保国 宝山 金生 树林 文华 建华 庆丰 世昌 跃进 胜利 军 强 明 刚 平 华 林 生 福 成",
    ),
    ("old", "female"): (
        "秀英 桂英 秀兰 玉兰 桂兰 淑珍 淑英 凤英 玉珍 丽华 秀珍 桂芳 玉梅 秀梅 桂珍 凤兰 美兰 "
        "翠花 金凤 素珍 玉华 秀云 春兰 冬梅 芳 英 兰 珍 梅 华 琴 萍 霞",
    ),
    ("mid", "male"): (
        "伟东 建伟 志伟 海涛 晓东 晓明 俊杰 文杰 永强 建平 海波 小龙 晓峰 立新 振宇 国栋 学军 "
        "伟 磊 勇 杰 涛 斌 超 鹏 辉 波 刚 军 强 明 亮 俊 峰 健 飞 宇 浩 洋 凯 龙 毅 鑫",
    ),
    ("mid", "female"): (
        "晓燕 丽娟 海燕 春梅 晓丽 秀丽 小红 丽萍 雪梅 红梅 婷婷 丹丹 文静 晓红 佳佳 丽丽 "
        "丽 静 敏 燕 艳 娟 霞 芳 婷 玲 红 娜 颖 洁 丹 慧 琳 晶 莉 倩 蕾 薇",
    ),
    ("young", "male"): (
        "浩然 子轩 宇轩 梓轩 浩宇 一鸣 博文 天佑 皓轩 宇航 明轩 思远 子豪 家豪 雨泽 嘉懿 "
        "煜祺 梓豪 子墨 锦程 俊熙 晨阳 天宇 睿 泽 航 宸 昊 轩 鑫 凯 晨 铭 宇 哲 瀚",
    ),
    ("young", "female"): (
        "欣怡 子涵 梓涵 诗涵 雨桐 可馨 雨萱 思琪 一诺 梦瑶 佳怡 语嫣 紫萱 欣妍 雨欣 梓萱 "
        "思彤 静怡 若汐 悦 琪 彤 瑶 萱 怡 婷 妍 涵 璐 琳",
    ),
}
GIVEN_NAMES: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    key: (
        tuple(word for word in text[0].split() if len(word) > 1),
        tuple(word for word in text[0].split() if len(word) == 1),
    )
    for key, text in _GIVEN.items()
}

FOREIGN_NAMES = (  # (name, nationality, gender)
    ("John Smith", "US", "male"),
    ("Emma Wilson", "GB", "female"),
    ("David Brown", "US", "male"),
    ("Sarah Johnson", "CA", "female"),
    ("Michael Lee", "SG", "male"),
    ("Anna Müller", "DE", "female"),
    ("Kenji Tanaka", "JP", "male"),
    ("Yuki Sato", "JP", "female"),
    ("Min-jun Kim", "KR", "male"),
    ("Ji-woo Park", "KR", "female"),
    ("Pierre Martin", "FR", "male"),
    ("Sophie Dubois", "FR", "female"),
    ("Carlos García", "ES", "male"),
    ("Olga Ivanova", "RU", "female"),
    ("Raj Patel", "IN", "male"),
    ("Lucas Silva", "BR", "male"),
)


def era(birth_year: int) -> str:
    if birth_year < 1965:
        return "old"
    return "mid" if birth_year < 1990 else "young"


def surname_pick(rng: random.Random) -> int:
    """An index into SURNAMES, by frequency."""
    return bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])


def given_name(rng: random.Random, gender: str, birth_year: int) -> str:
    whole, single = GIVEN_NAMES[(era(birth_year), gender)]
    roll = rng.random()
    if roll < 0.45:
        return whole[int(rng.random() * len(whole))]
    if roll < 0.75 and birth_year >= 1965:
        # Two characters chosen separately: the commonest pattern since the 1980s.
        return single[int(rng.random() * len(single))] + single[int(rng.random() * len(single))]
    return single[int(rng.random() * len(single))]


def staff_name(rng: random.Random) -> str:
    gender = "male" if rng.random() < 0.5 else "female"
    year = 1965 + int(rng.random() * 35)
    return SURNAMES[surname_pick(rng)] + given_name(rng, gender, year)


# --- Companies ------------------------------------------------------------------------

BRAND_SYLLABLES = "华信恒通瑞丰鑫源宏达嘉禾远航博联创金桥天泰盛隆祥明德安海东方振兴永佳汇川"

# (industry as the register names it, a word for the company name, salary multiplier)
INDUSTRIES = (
    ("制造业", "机械制造", 1.0),
    ("制造业", "电子科技", 1.2),
    ("批发和零售业", "商贸", 0.9),
    ("建筑业", "建设工程", 1.0),
    ("信息传输、软件和信息技术服务业", "信息技术", 1.6),
    ("房地产业", "置业", 1.3),
    ("交通运输、仓储和邮政业", "物流", 0.9),
    ("住宿和餐饮业", "餐饮管理", 0.7),
    ("租赁和商务服务业", "商务咨询", 1.1),
    ("科学研究和技术服务业", "生物科技", 1.5),
    ("农、林、牧、渔业", "农业发展", 0.7),
    ("卫生和社会工作", "医疗管理", 1.2),
    ("文化、体育和娱乐业", "文化传媒", 1.1),
    ("电力、热力、燃气及水生产和供应业", "能源", 1.3),
    ("金融业", "投资管理", 1.8),
    ("居民服务、修理和其他服务业", "家政服务", 0.6),
)


def brand(rng: random.Random) -> str:
    n = len(BRAND_SYLLABLES)
    first = BRAND_SYLLABLES[int(rng.random() * n)]
    second = BRAND_SYLLABLES[int(rng.random() * n)]
    while second == first:
        second = BRAND_SYLLABLES[int(rng.random() * n)]
    return first + second


def company_name(city: str, brand_word: str, industry_word: str, *, large: bool) -> str:
    return f"{city}{brand_word}{industry_word}{'股份' if large else ''}有限公司"


# --- Individuals' work ------------------------------------------------------------------

# (occupation, monthly salary median in CNY, paid a salary)
OCCUPATIONS = (
    ("公司职员", 7000, True),
    ("工程师", 12000, True),
    ("教师", 8000, True),
    ("医生", 12000, True),
    ("护士", 7000, True),
    ("公务员", 9000, True),
    ("销售", 7500, True),
    ("会计", 7000, True),
    ("律师", 15000, True),
    ("程序员", 16000, True),
    ("设计师", 10000, True),
    ("司机", 6000, True),
    ("厨师", 6000, True),
    ("企业高管", 35000, True),
    ("个体工商户", 0, False),
    ("企业主", 0, False),
    ("自由职业", 0, False),
)
OCCUPATION_WEIGHTS = tuple(accumulate((22, 9, 6, 4, 3, 6, 7, 5, 1, 5, 3, 4, 2, 2, 10, 5, 6)))

PUBLIC_EMPLOYERS = (
    "{city}市第一人民医院",
    "{city}市实验中学",
    "{city}市人民政府办公厅",
    "{city}市税务局",
    "{city}大学",
    "{city}市中心医院",
    "{city}市第二中学",
    "国家电网{city}供电公司",
    "中国移动{city}分公司",
)

# --- Counterparties ---------------------------------------------------------------------

MERCHANTS = (
    "美团",
    "饿了么",
    "京东商城",
    "淘宝",
    "拼多多",
    "盒马鲜生",
    "永辉超市",
    "沃尔玛",
    "华润万家",
    "中国石化加油站",
    "中国石油加油站",
    "滴滴出行",
    "携程旅行",
    "国家电网电费",
    "中国移动话费",
    "星巴克",
    "肯德基",
    "海底捞",
    "万达影城",
    "优衣库",
    "12306铁路客服",
    "物业管理费",
    "燃气费",
    "自来水费",
    "医院门诊",
    "药房",
    "瑞幸咖啡",
    "苹果官方商店",
)

OTHER_BANKS = (
    "中国工商银行",
    "中国农业银行",
    "中国银行",
    "中国建设银行",
    "交通银行",
    "招商银行",
    "浦发银行",
    "中信银行",
    "兴业银行",
    "民生银行",
    "光大银行",
    "平安银行",
    "广发银行",
    "中国邮政储蓄银行",
    "北京银行",
    "宁波银行",
    "微众银行",
)

LARGE_INFLOWS = (
    "房屋出售款",
    "年终奖金",
    "股权转让款",
    "拆迁补偿款",
    "遗产继承",
    "保险理赔款",
    "他行理财到期转入",
    "经营回款",
)

LARGE_INFLOWS_CORPORATE = ("工程款", "货款", "股东增资款", "项目回款", "政府补贴款")
