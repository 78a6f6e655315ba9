"""Where the synthetic bank's branches are, and what its customers' addresses look like.

District codes are the real administrative division codes (GB/T 2260), so resident
identity numbers and credit codes carry believable place codes and a customer's
district matches the code in their number when they were born where they live.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    short: str  # 北京: used in branch names
    province: str  # 北京市, 广东省
    name: str  # 北京市, 深圳市
    districts: tuple[tuple[str, str], ...]  # (division code, district name)


def _city(short: str, province: str, name: str, districts: str) -> City:
    pairs = tuple(tuple(item.split(":")) for item in districts.split())
    return City(short, province, name, pairs)  # type: ignore[arg-type]


# Branch n (1-based) is in CITIES[(n - 1) % len(CITIES)]; the demo's three branches are
# Beijing, Shanghai and Shenzhen.
CITIES: tuple[City, ...] = (
    _city(
        "北京",
        "北京市",
        "北京市",
        "110101:东城区 110102:西城区 110105:朝阳区 110106:丰台区 110108:海淀区 "
        "110112:通州区 110113:顺义区 110114:昌平区",
    ),
    _city(
        "上海",
        "上海市",
        "上海市",
        "310101:黄浦区 310104:徐汇区 310105:长宁区 310106:静安区 310107:普陀区 "
        "310110:杨浦区 310112:闵行区 310115:浦东新区",
    ),
    _city(
        "深圳",
        "广东省",
        "深圳市",
        "440303:罗湖区 440304:福田区 440305:南山区 440306:宝安区 440307:龙岗区 440309:龙华区",
    ),
    _city(
        "广州",
        "广东省",
        "广州市",
        "440103:荔湾区 440104:越秀区 440105:海珠区 440106:天河区 440111:白云区 440113:番禺区",
    ),
    _city(
        "杭州",
        "浙江省",
        "杭州市",
        "330102:上城区 330105:拱墅区 330106:西湖区 330108:滨江区 330109:萧山区 330110:余杭区",
    ),
    _city(
        "南京",
        "江苏省",
        "南京市",
        "320102:玄武区 320104:秦淮区 320105:建邺区 320106:鼓楼区 320113:栖霞区 320115:江宁区",
    ),
    _city(
        "成都",
        "四川省",
        "成都市",
        "510104:锦江区 510105:青羊区 510106:金牛区 510107:武侯区 510108:成华区 510116:双流区",
    ),
    _city(
        "武汉",
        "湖北省",
        "武汉市",
        "420102:江岸区 420103:江汉区 420105:汉阳区 420106:武昌区 420111:洪山区",
    ),
    _city(
        "西安",
        "陕西省",
        "西安市",
        "610102:新城区 610103:碑林区 610104:莲湖区 610112:未央区 610113:雁塔区 610116:长安区",
    ),
    _city("苏州", "江苏省", "苏州市", "320505:虎丘区 320506:吴中区 320507:相城区 320508:姑苏区"),
    _city(
        "天津",
        "天津市",
        "天津市",
        "120101:和平区 120102:河东区 120103:河西区 120104:南开区 120105:河北区",
    ),
    _city(
        "重庆",
        "重庆市",
        "重庆市",
        "500103:渝中区 500106:沙坪坝区 500107:九龙坡区 500108:南岸区 500112:渝北区",
    ),
    _city("长沙", "湖南省", "长沙市", "430102:芙蓉区 430103:天心区 430104:岳麓区 430105:开福区"),
    _city("郑州", "河南省", "郑州市", "410102:中原区 410103:二七区 410105:金水区 410108:惠济区"),
    _city("青岛", "山东省", "青岛市", "370202:市南区 370203:市北区 370212:崂山区 370213:李沧区"),
    _city("宁波", "浙江省", "宁波市", "330203:海曙区 330205:江北区 330206:北仑区 330212:鄞州区"),
    _city("厦门", "福建省", "厦门市", "350203:思明区 350205:海沧区 350206:湖里区 350211:集美区"),
    _city("福州", "福建省", "福州市", "350102:鼓楼区 350103:台江区 350104:仓山区 350111:晋安区"),
    _city("济南", "山东省", "济南市", "370102:历下区 370103:市中区 370104:槐荫区 370112:历城区"),
    _city("合肥", "安徽省", "合肥市", "340102:瑶海区 340103:庐阳区 340104:蜀山区 340111:包河区"),
    _city("沈阳", "辽宁省", "沈阳市", "210102:和平区 210103:沈河区 210105:皇姑区 210106:铁西区"),
    _city(
        "大连", "辽宁省", "大连市", "210202:中山区 210203:西岗区 210204:沙河口区 210211:甘井子区"
    ),
    _city("昆明", "云南省", "昆明市", "530102:五华区 530103:盘龙区 530111:官渡区 530112:西山区"),
    _city(
        "南昌", "江西省", "南昌市", "360102:东湖区 360103:西湖区 360111:青山湖区 360113:红谷滩区"
    ),
    _city(
        "石家庄", "河北省", "石家庄市", "130102:长安区 130104:桥西区 130105:新华区 130108:裕华区"
    ),
    _city(
        "太原", "山西省", "太原市", "140105:小店区 140106:迎泽区 140107:杏花岭区 140109:万柏林区"
    ),
    _city(
        "哈尔滨", "黑龙江省", "哈尔滨市", "230102:道里区 230103:南岗区 230104:道外区 230110:香坊区"
    ),
    _city("长春", "吉林省", "长春市", "220102:南关区 220103:宽城区 220104:朝阳区 220105:二道区"),
    _city(
        "南宁",
        "广西壮族自治区",
        "南宁市",
        "450102:兴宁区 450103:青秀区 450105:江南区 450107:西乡塘区",
    ),
    _city("贵阳", "贵州省", "贵阳市", "520102:南明区 520103:云岩区 520111:花溪区 520115:观山湖区"),
)

# Every district code of every city: birthplaces of customers who moved to the city.
ALL_DISTRICT_CODES: tuple[str, ...] = tuple(
    code for city in CITIES for code, _name in city.districts
)

# A sub-branch beyond the city's districts takes one of these after the district name.
SUBBRANCH_SUFFIXES = (
    "",
    "科技园",
    "新城",
    "中心",
    "滨江",
    "开发区",
    "大学城",
    "商务区",
    "东",
    "西",
)

ROADS = (
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "和平路",
    "新华路",
    "胜利路",
    "长江路",
    "黄河路",
    "光明路",
    "文化路",
    "朝阳路",
    "复兴路",
    "学府路",
    "科技路",
    "青年路",
    "东风路",
    "民主路",
    "工业路",
    "滨江大道",
    "世纪大道",
    "金融街",
    "迎宾大道",
    "花园路",
    "友谊路",
    "幸福路",
    "振兴路",
    "湖滨路",
    "南京路",
    "北京路",
)


def district_short(name: str) -> str:
    """海淀区 → 海淀; a two-character name (市中区) keeps its suffix."""
    return name[:-1] if len(name) > 2 and name.endswith("区") else name
