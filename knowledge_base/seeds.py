"""Turn the seed documents into KB article drafts.

* The 管理办法 becomes one article per 条, titled "<document> 第N条".
* News pages become one article each, with HTML, front matter, navigation and
  site boilerplate stripped, and their date and source kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from .chunking import chunk_article, chunk_paragraphs

SEED_DIR = Path(__file__).resolve().parent / "seed_data"
QUESTIONS_FILE = "questions.yml"

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}

CLAUSE_RE = re.compile(r"^\s*(第([一二三四五六七八九十百零〇两]+)条)[\s\u3000]*")
CHAPTER_RE = re.compile(r"^\s*第[一二三四五六七八九十]+章[\s\u3000]+\S")


def cn_number(text: str) -> int:
    """Chinese numerals as used in clause numbers: 二十三 -> 23, 十 -> 10, 一百零二 -> 102."""
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            total += (current or 1) * CN_UNITS[ch]
            current = 0
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + current


@dataclass
class ArticleDraft:
    origin_key: str
    title: str
    kind: str
    doc_title: str
    body: str
    source: str
    clause_no: str | None = None
    clause_index: int | None = None
    chapter: str | None = None
    published_on: date | None = None
    published_label: str | None = None
    chunks: list[str] = field(default_factory=list)
    domain: str = "综合"
    region: str = "全国"
    effective_from: datetime | None = None
    expires_at: datetime | None = None
    origin: str = "seed"
    status: str = "published"
    tags: list[str] = field(default_factory=list)
    urgent: bool = False
    # similar questions (相似问法); None = not given: an existing article keeps its own
    questions: list[str] | None = field(default_factory=list)


# --------------------------------------------------------------------------- regulations


def _is_regulation(text: str) -> bool:
    head = text.lstrip()[:80]
    return "办法" in head.splitlines()[0] and bool(re.search(r"^\s*第一条", text, re.M))


def parse_regulation(text: str, origin: str, source: str = "交通运输部") -> list[ArticleDraft]:
    lines = [ln.rstrip() for ln in text.splitlines()]
    doc_title = next(ln.strip() for ln in lines if ln.strip())
    drafts: list[ArticleDraft] = []
    chapter: str | None = None
    current: ArticleDraft | None = None
    paragraphs: list[str] = []

    def close() -> None:
        if current is not None:
            current.body = "\n".join(p for p in paragraphs if p)
            current.chunks = chunk_article("regulation", current.body, current.clause_no)
            drafts.append(current)

    for raw in lines[1:]:
        line = raw.strip()
        if not line:
            continue
        if CHAPTER_RE.match(line):
            chapter = re.sub(r"\s+", " ", line)
            continue
        m = CLAUSE_RE.match(line)
        if m:
            close()
            clause_no = m.group(1)
            current = ArticleDraft(
                origin_key=f"{origin}:{clause_no}",
                title=f"{doc_title} {clause_no}",
                kind="regulation",
                doc_title=doc_title,
                body="",
                source=source,
                clause_no=clause_no,
                clause_index=cn_number(m.group(2)),
                chapter=chapter,
            )
            paragraphs = [line[m.end() :].strip()]
            continue
        if current is not None:
            paragraphs.append(line)
    close()
    return drafts


# --------------------------------------------------------------------------- news

# Where the story ends and the site's furniture starts.
END_MARKERS = (
    "热门推荐",
    "熱門推薦",
    "相关阅读",
    "相關閱讀",
    "总值班",
    "總值班",
    "责任编辑",
    "責任編輯",
    "免责声明",
    "免責聲明",
    "更多>",
)
# Lines that are site furniture wherever they appear.
NOISE_RE = re.compile(r"(订阅|訂閱|手机报|手機報|首页|首頁|^[\s|!\[\]()（）]*$)")
SOURCE_PATTERNS = (
    re.compile(r"(\S{2,8}?[网網])免[责責][声聲]明"),
    re.compile(r"订阅(?:\d+天)?(\S{2,6}?日报)"),
    re.compile(r"來源[:：]\s*(\S{2,12})|来源[:：]\s*(\S{2,12})"),
)
FULL_DATE_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
YEAR_RE = re.compile(r"(20\d{2}|19\d{2})年")


def _front_matter(text: str) -> tuple[dict, str]:
    m = re.match(r"\s*---\n(.*?)\n---\n", text, re.S)
    if not m:
        return {}, text
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError:
        meta = {}
    return meta, text[m.end() :]


def _html_to_paragraphs(body: str) -> list[str]:
    if "<" in body and ">" in body:
        soup = BeautifulSoup(body, "html.parser")
        for tag in soup(["script", "style", "img", "nav", "footer"]):
            tag.decompose()
        for br in soup.find_all("br"):
            br.replace_with("\n")
        blocks = [p.get_text() for p in soup.find_all(["p", "h1", "h2", "h3", "li"])] or [soup.get_text()]
        text = "\n".join(blocks)
    else:
        text = body
    return [re.sub(r"[\s\u3000]+", " ", ln).strip() for ln in text.splitlines()]


def _clean_news(paragraphs: list[str], join_fragments: bool) -> list[str]:
    kept: list[str] = []
    for line in paragraphs:
        if not line:
            continue
        if any(marker in line for marker in END_MARKERS):
            break
        if NOISE_RE.search(line):
            continue
        kept.append(line)
    if not join_fragments:
        return kept
    # Short fragments (one clause per <p>, as some sites do) are joined into sentences.
    merged: list[str] = []
    for line in kept:
        if merged and len(merged[-1]) < 40 and not re.search(r"[。！？!?：:”」]$", merged[-1]):
            merged[-1] += line
        else:
            merged.append(line)
    return merged


def _find_source(text: str) -> str | None:
    for pattern in SOURCE_PATTERNS:
        m = pattern.search(text)
        if m:
            return next(g for g in m.groups() if g)
    return None


def _find_date(meta_date, text: str) -> tuple[date | None, str | None]:
    if meta_date:
        try:
            when = meta_date if isinstance(meta_date, datetime) else parsedate_to_datetime(str(meta_date))
            return when.date(), when.strftime("%Y-%m-%d")
        except (TypeError, ValueError):
            pass
    m = FULL_DATE_RE.search(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return date(y, mo, d), f"{y}-{mo:02d}-{d:02d}"
    years = [int(y) for y in YEAR_RE.findall(text)]
    if years:
        return None, f"{max(years)}年"
    return None, None


def parse_news(text: str, origin: str) -> ArticleDraft:
    meta, body = _front_matter(text)
    is_html = bool(re.search(r"<(p|div|br)\b", body))
    paragraphs = _clean_news(_html_to_paragraphs(body), join_fragments=is_html)
    if not paragraphs:
        raise ValueError(f"{origin}: no text left after cleaning")
    title = str(meta.get("title") or "").strip()
    if not title:
        first = paragraphs[0]
        # A headline is a short first line without a sentence end; otherwise use the first sentence.
        if len(first) <= 60 and not re.search(r"[。！？]", first):
            title, paragraphs = first, paragraphs[1:]
        else:
            title = re.split(r"[。！？,，]", first)[0][:40]
    full_text = "\n".join(paragraphs)
    published_on, label = _find_date(meta.get("date"), full_text)
    source = str(meta.get("author") or "").strip() or _find_source(text) or "新闻报道"
    return ArticleDraft(
        origin_key=origin,
        title=title,
        kind="news",
        doc_title=title,
        body=full_text,
        source=source,
        published_on=published_on,
        published_label=label,
        chunks=chunk_paragraphs(paragraphs),
    )


def parse_seed_file(path: Path) -> list[ArticleDraft]:
    text = path.read_text(encoding="utf-8")
    origin = f"seed:{path.stem}"
    if _is_regulation(text):
        return parse_regulation(text, origin)
    return [parse_news(text, origin)]


def load_seed_questions(seed_dir: Path = SEED_DIR) -> dict[str, list[str]]:
    """The editors' similar questions for the seed articles (seed_data/questions.yml), by origin key."""
    path = seed_dir / QUESTIONS_FILE
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): [str(q).strip() for q in values or [] if str(q).strip()] for key, values in data.items()}


def load_seed_drafts(seed_dir: Path = SEED_DIR) -> list[ArticleDraft]:
    drafts: list[ArticleDraft] = []
    for path in sorted(seed_dir.glob("*.txt")):
        drafts.extend(parse_seed_file(path))
    questions = load_seed_questions(seed_dir)
    unknown = set(questions) - {d.origin_key for d in drafts}
    if unknown:
        raise ValueError(f"{QUESTIONS_FILE} names articles the seeds do not have: {sorted(unknown)}")
    for draft in drafts:
        draft.questions = questions.get(draft.origin_key, [])
    return drafts
