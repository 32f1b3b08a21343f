"""Demo colloquial knowledge (口语说法 → 规范用语) for the demo catalog; idempotent: rows are
matched on their phrase and rewritten only when something differs.

Grouped as a catalog administrator would collect them: from window clerks and 12345
operators (what people say), and the homophone typos seen in search logs.
"""

from __future__ import annotations

from tongban.core.models import User

from .actions import guide_save_synonym
from .models import Synonym

# phrase → catalog terms (space-separated)
DEMO_SYNONYMS: dict[str, str] = {
    # birth (新生儿出生)
    "生孩子": "出生 新生儿",
    "生了": "出生 新生儿",
    "生娃": "出生 新生儿",
    "宝宝": "新生儿",
    "娃": "新生儿",
    "二胎": "出生 新生儿",
    "上户口": "户口登记 出生登记",
    "报户口": "户口登记 出生登记",
    "落户": "户口登记",
    "出生证": "出生医学证明",
    "疫苗本": "预防接种证",
    "疫苗": "预防接种",
    "产假": "生育津贴",
    "生完孩子": "生育 出生",
    "上学": "入学 义务教育",
    "上小学": "入学 义务教育",
    "一年级": "入学 义务教育",
    # death (身后一件事)
    "后事": "身后 死亡",
    "走了": "身后 死亡",
    "去世": "身后 死亡",
    "过世": "身后 死亡",
    "死了": "身后 死亡",
    "逝世": "身后 死亡",
    "丧事": "身后 丧葬",
    "销户": "注销户口",
    "丧葬费": "丧葬补助金",
    # business
    "开饭店": "餐饮",
    "饭店": "餐饮",
    "饭馆": "餐饮",
    "餐馆": "餐饮",
    "奶茶": "餐饮",
    "小吃": "餐饮",
    "火锅": "餐饮",
    "早餐": "餐饮",
    "快餐": "餐饮",
    "烧烤": "餐饮",
    "面馆": "餐饮",
    "餐厅": "餐饮",
    "物流": "货物运输 道路运输",
    "跑运输": "道路运输",
    "货运": "货物运输",
    "客运": "旅客运输",
    "公司": "企业",
    "搬家": "住所 变更",
    "地址": "住所",
    "自来水": "供水",
    "天然气": "管道燃气",
    "挖马路": "挖掘城市道路",
    "马路": "城市道路",
    "商铺": "非居民",
    "电表": "用电",
    "水表": "用水",
    "燃气表": "用气",
    "装电": "用电报装",
    "排污": "污水 排水",
    "卫生许可证": "食品经营许可",
    "开公司": "企业开办 企业设立",
    "注册公司": "企业开办 企业设立",
    "刻章": "公章刻制",
    "执照": "营业执照",
    "个体户": "个体工商户",
    "改名": "姓名变更",
    "名字": "姓名",
    "公司改名": "名称变更 企业",
    "开户": "缴存登记 账户设立",
    "卡里的钱": "个人账户余额",
    "账户里的钱": "个人账户余额",
    "换法人": "法定代表人 变更",
    "招牌": "户外招牌",
    "通水": "供水报装",
    "通电": "用电报装",
    "装宽带": "宽带报装",
    # cards and insurance
    "社保卡": "社会保障卡",
    "社保开户": "社会保险 参保登记",
    "社保卡丢了": "补领 社会保障卡",
    "丢了": "补领",
    "补办": "补领",
    "坏了": "换领",
    "社保": "社会保险",
    "医保": "医疗保险",
    "养老金": "养老保险待遇",
    "退伍": "退役",
    "残疾证": "残疾人证",
    "轮椅": "辅助器具",
    "助听器": "辅助器具",
    "低保": "最低生活保障",
    "五保": "特困人员",
    "着火": "火灾",
    "没有收入": "最低生活保障 困难",
    "没收入": "最低生活保障 困难",
    "下岗": "困难",
    "退伍费": "一次性经济补助金 退役",
    "暂住证": "居住证",
    "驾照": "驾驶证",
    "二手房": "存量房",
    "过户": "转移登记 过户",
    "教资": "教师资格",
    "事业编": "事业单位 入职",
    # homophone typos seen in search logs
    "护口": "户口",
    "设保": "社保 社会保险",
    "社宝": "社保 社会保障卡",
    "医宝": "医保 医疗保险",
    "退修": "退休",
    "公基金": "公积金",
    "执找": "执照 营业执照",
    "公张": "公章",
    "低包": "低保 最低生活保障",
    "火花": "火化",
    "优代": "优待",
}


def load_demo_synonyms(actor: User | None = None) -> int:
    """Create or update the demo synonyms; returns how many rows were written."""
    changed = 0
    existing = {s.phrase: s for s in Synonym.objects.all()}
    for phrase, terms in DEMO_SYNONYMS.items():
        row = existing.get(phrase)
        if row is not None and row.terms == terms and row.is_active:
            continue
        guide_save_synonym(phrase=phrase, terms=terms, actor=actor, synonym=row)
        changed += 1
    return changed
