"""Builds kb.json of the "gov-mixed" FAQ benchmark set from two public sources (see SOURCE.md).

Not run by the benchmark or the tests: kb.json is committed. To rebuild it, fetch the two repositories at the
commits named in SOURCE.md (bare git directories) and run

    python benchmarks/data/gov-mixed/build.py LAWS_GIT_DIR HSINCHU_GIT_DIR

1. Chinese laws and regulations (LawRefBook/Laws, Markdown): one entry per 条 of the documents listed in LAWS.
2. The Hsinchu City social-affairs FAQ (GoatWang/HsinchuHackthon_QA1999_ClassifierTraining): the crawl output kept
   in QAHsinchu.ipynb's output cells. No other file of that repository is read (its Taipei crawl is held out).
"""

from __future__ import annotations

import ast
import html
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAWS_COMMIT = "2f4c5c23716267af9dbebbbbd6cbbf732b101981"
HSINCHU_COMMIT = "d87cef4e9a7482e562e9615511c41a46e97c3fa2"
MAX_BODY = 3000  # characters; a longer clause or answer is dropped (none is, today)

T, SH, BJ = "行政法规/", "DLC/上海地方法规/地方性法规/上海/", "DLC/北京地方法规/地方性法规/北京/"
SD, ZJ, HN = (
    "DLC/山东地方法规/地方性法规/山东/",
    "DLC/浙江地方法规/地方性法规/浙江/",
    "DLC/河南地方法规/地方性法规/河南/",
)
GD, CQ, GA = "DLC/广东地方法规/地方性法规/广东/", "DLC/重庆地方法规/地方性法规/重庆/", "部门规章/公安部/"
# (path in LawRefBook/Laws, domain of the product's DOMAINS, region; "全国" = national)
LAWS: list[tuple[str, str, str]] = [
    # transport, national
    ("行政法/道路交通安全法(2021-04-29).md", "综合", "全国"),
    (T + "道路交通安全法实施条例(2017-10-07).md", "综合", "全国"),
    (T + "道路运输条例(2023-07-20).md", "道路运输", "全国"),
    ("经济法/公路法(2017-11-04).md", "公路", "全国"),
    (T + "收费公路管理条例(2004-09-13).md", "公路", "全国"),
    (T + "公路安全保护条例(2011-03-07).md", "公路", "全国"),
    (T + "城市公共交通条例(2024-10-17).md", "城市客运", "全国"),
    (T + "机动车交通事故责任强制保险条例(2019-03-02).md", "综合", "全国"),
    (T + "校车安全管理条例(2012-04-05).md", "道路运输", "全国"),
    (T + "缺陷汽车产品召回管理条例(2019-03-02).md", "综合", "全国"),
    (GA + "机动车登记规定(2021-12-17).md", "综合", "全国"),
    (GA + "机动车驾驶证申领和使用规定(2021-12-17).md", "综合", "全国"),
    (GA + "道路交通事故处理程序规定(2018-02-02).md", "综合", "全国"),
    (GA + "道路交通安全违法行为记分管理办法(2021-12-17).md", "综合", "全国"),
    ("部门规章/市场监督管理总局/家用汽车产品修理更换退货责任规定(2021-07-22).md", "综合", "全国"),
    ("经济法/铁路法(2015-04-24).md", "综合", "全国"),
    (T + "铁路安全管理条例(2013-08-17).md", "综合", "全国"),
    ("行政法/海上交通安全法(2021-04-29).md", "海事", "全国"),
    (T + "内河交通安全管理条例(2019-03-02).md", "海事", "全国"),
    (T + "国内水路运输管理条例(2023-07-20).md", "水路", "全国"),
    ("经济法/港口法(2018-12-29).md", "水路", "全国"),
    ("经济法/航道法(2016-07-02).md", "水路", "全国"),
    ("经济法/民用航空法(2021-04-29).md", "综合", "全国"),
    # transport, local
    (SH + "上海市出租汽车管理条例.md", "城市客运", "上海市"),
    (SH + "上海市轨道交通管理条例(2021-08-25).md", "城市客运", "上海市"),
    (SH + "上海市公共汽车和电车客运管理条例(2020-05-14).md", "城市客运", "上海市"),
    (SH + "上海市道路运输管理条例(2020-05-14).md", "道路运输", "上海市"),
    (SH + "上海市查处车辆非法客运若干规定(2014-06-19).md", "城市客运", "上海市"),
    (BJ + "北京市出租汽车管理条例.md", "城市客运", "北京市"),
    (BJ + "北京市道路运输条例(2021-09-24).md", "道路运输", "北京市"),
    (BJ + "北京市轨道交通运营安全条例.md", "城市客运", "北京市"),
    (ZJ + "杭州市客运出租汽车管理条例(2018-04-16).md", "城市客运", "浙江省杭州市"),
    (ZJ + "宁波市出租汽车客运管理条例(2012-12-11).md", "城市客运", "浙江省宁波市"),
    (ZJ + "杭州市机动车驾驶员培训管理条例(2017-12-08).md", "道路运输", "浙江省杭州市"),
    (ZJ + "宁波市机动车维修业管理条例(2021-08-17).md", "道路运输", "浙江省宁波市"),
    (HN + "郑州市客运出租汽车管理条例(2022-01-01).md", "城市客运", "河南省郑州市"),
    (SD + "青岛市客运出租汽车管理条例(2021-05-27).md", "城市客运", "山东省青岛市"),
    (SD + "济南市城市公共交通条例(2013-11-29).md", "城市客运", "山东省济南市"),
    (GD + "广东省道路运输条例(2021-09-29).md", "道路运输", "广东省"),
    (CQ + "重庆市道路运输管理条例(2021-11-25).md", "道路运输", "重庆市"),
    # distractors: not transport
    ("民法商法/消费者权益保护法(2013-10-25).md", "综合", "全国"),
    (SH + "上海市消费者权益保护条例.md", "综合", "上海市"),
    ("经济法/价格法(1997-12-29).md", "综合", "全国"),
    ("部门规章/市场监督管理总局/明码标价和禁止价格欺诈规定(2022-04-14).md", "综合", "全国"),
    (T + "信访工作条例(2022-02-25).md", "综合", "全国"),
    ("诉讼与非诉讼程序法/行政复议法(2023-09-01).md", "综合", "全国"),
    ("行政法/行政处罚法(2021-01-22).md", "综合", "全国"),
    (T + "社会救助暂行办法(2019-03-02).md", "综合", "全国"),
    (SH + "上海市社会救助条例(2024-12-31).md", "综合", "上海市"),
    (T + "城市生活无着的流浪乞讨人员救助管理办法(2003-06-20).md", "综合", "全国"),
    ("社会法/残疾人保障法(2018-10-26).md", "综合", "全国"),
    ("社会法/老年人权益保障法(2018-12-29).md", "综合", "全国"),
]

CN = "零〇一二三四五六七八九十百千"
CLAUSE = re.compile(rf"^(第[{CN}]+条(?:之[{CN}]+)?)[\s\u3000]*(.*)$")
DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0}
UNITS = {"十": 10, "百": 100, "千": 1000}


def cn_number(text: str) -> int:
    """一百二十三 -> 123, 十五 -> 15."""
    total, digit = 0, 0
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
        else:
            total += (digit or 1) * UNITS[ch]
            digit = 0
    return total + digit


def git_show(repo: str, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", repo, "show", f"{commit}:{path}"], capture_output=True, text=True, check=True
    ).stdout


def parse_law(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The document's name and its clauses [(第N条, text)] from a LawRefBook Markdown file."""
    lines = text.splitlines()
    name = next(line[2:].strip() for line in lines if line.startswith("# "))
    start = next((i + 1 for i, line in enumerate(lines) if "INFO END" in line), 0)
    clauses: list[tuple[str, list[str]]] = []
    for line in lines[start:]:
        s = line.strip()
        if not s or s.startswith("<!--"):
            continue
        if s.startswith("#"):  # a chapter or section heading closes the clause
            clauses.append(("", []))
            continue
        m = CLAUSE.match(s)
        if m:
            clauses.append((m.group(1), [m.group(2).strip()] if m.group(2).strip() else []))
        elif clauses and clauses[-1][0]:
            clauses[-1][1].append(s)
    return name, [(no, "\n".join(paras)) for no, paras in clauses if no and paras]


def short_name(name: str) -> str:
    return name.removeprefix("中华人民共和国")


def law_entries(repo: str) -> list[dict]:
    out = []
    for path, domain, region in LAWS:
        name, clauses = parse_law(git_show(repo, LAWS_COMMIT, path))
        for no, body in clauses:
            if re.fullmatch(r"[（(]?删除[）)]?。?", body) or len(body) > MAX_BODY:
                continue
            number = no.removeprefix("第").removesuffix("条")
            key = "-".join(str(cn_number(part)) for part in number.split("条之"))
            entry = {
                "id": f"{short_name(name)}#{key}",
                "title": f"《{name}》{no}",
                "body": body,
                "kind": "regulation",
                "domain": domain,
                "source": short_name(name)[:100],
            }
            if region != "全国":
                entry["region"] = region
            out.append(entry)
    return out


# ---------------------------------------------------------------------------------------------- Hsinchu FAQ

# an answer that names a city office or procedure is the city's; the others explain a rule of all of Taiwan
LOCAL = re.compile(r"新竹|竹市|本市|本府|市府|市政府|區公所|社會處|社政課|里辦公|里長|本處|本科|本中心|市長")


def hsinchu_entries(repo: str) -> list[dict]:
    """The crawl's records, read from QAHsinchu.ipynb's output cells only.

    The crawl (cell 2) printed 266 records in full; the 61 records of a first run (幼兒福利及托育服務) survive only
    in the data-frame display (cell 6: first and last 30 rows, answers cut at 50 characters) and in cell 5's list
    of full answers longer than 20 characters: the 30 first rows are recovered by matching their cut answer to a
    full one, the 31 others have no question anywhere and are lost."""
    nb = json.loads(git_show(repo, HSINCHU_COMMIT, "QAHsinchu.ipynb"))
    cells = nb["cells"]
    printed = "".join(cells[2]["outputs"][0]["text"]).splitlines()
    crawl = [ast.literal_eval(line) for line in printed if line.startswith("{")]
    full = [line for line in "".join(cells[5]["outputs"][0]["text"]).splitlines() if line.strip()]
    table = "".join(cells[6]["outputs"][0]["data"]["text/html"])
    rows = re.findall(r"<tr>\s*<th>(\d+)</th>" + r"\s*<td>(.*?)</td>" * 5 + r"\s*</tr>", table, re.S)
    records = []
    for n, _id, ans, cat, _cid, question in rows:
        if int(n) >= 30:  # the display's last 30 rows are records the crawl printed
            continue
        ans = html.unescape(ans)
        if ans.endswith("..."):
            ans = next(f for f in full if f.startswith(ans[:-3]))
        records.append({"question": html.unescape(question), "ans": ans, "cat": html.unescape(cat)})
    records += crawl
    out, seen = [], set()
    for n, r in enumerate(records, 1):  # ids number the crawl's records: dropping one renumbers no other
        q = re.sub(r"\s+", " ", r["question"].replace("\xa0", " ")).strip()
        a = re.sub(r"[ \t\u3000\xa0]+", " ", r["ans"]).strip()
        if re.fullmatch(r"[\d\-\s]*", a) or a.endswith("如相關附件") or len(a) > MAX_BODY:
            continue  # the crawl failed (a date instead of the answer), or the answer is an attachment not crawled
        if (q, re.sub(r"\s", "", a)) in seen:
            continue
        seen.add((q, re.sub(r"\s", "", a)))
        entry = {
            "id": f"新竹FAQ#{n:03d}",
            "title": q,
            "body": a,
            "kind": "faq",
            "domain": "综合",
            "source": "新竹市政府社會處",
            "tags": [r["cat"]],
        }
        if LOCAL.search(q + a):
            entry["region"] = "新竹市"
        out.append(entry)
    return out


def main(laws_repo: str, hsinchu_repo: str) -> None:
    entries = law_entries(laws_repo) + hsinchu_entries(hsinchu_repo)
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "duplicate ids"
    text = json.dumps(entries, ensure_ascii=False, indent=0)
    (HERE / "kb.json").write_text(text + "\n", encoding="utf-8")
    laws = sum(e["kind"] == "regulation" for e in entries)
    print(f"{len(entries)} entries ({laws} clauses, {len(entries) - laws} FAQ), {len(text.encode()) / 1e6:.2f} MB")


if __name__ == "__main__":
    main(*sys.argv[1:3])
