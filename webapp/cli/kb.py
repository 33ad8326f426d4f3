"""The knowledge base: `ingest` (the seeds), `reindex` (the FAISS index), `import` (a file of articles),
`calibrate` (how sure it must be to answer) and `vocab-learn` (vocabulary suggestions)."""

from __future__ import annotations

import sys

import click

from hotline.settings import load_settings
from webapp.services import build_services


@click.command()
def ingest() -> None:
    """(Re-)ingest the seed documents; unchanged articles are skipped."""
    from knowledge_base.seeds import load_seed_drafts

    svc = build_services(load_settings())
    report = svc.kb.upsert_articles(load_seed_drafts(), progress=True)
    click.echo(
        f"created={report.created} updated={report.updated} unchanged={report.unchanged} "
        f"chunks_embedded={report.chunks_embedded}"
    )


@click.command()
def reindex() -> None:
    """Rebuild the FAISS index from the DB (stored vectors; only missing ones are embedded)."""
    svc = build_services(load_settings())
    svc.kb.rebuild_index(progress=True)
    click.echo(f"index rebuilt: {len(svc.kb.index)} chunks")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--draft", is_flag=True, help="导入为草稿（默认直接发布）")
@click.option("--author", default="import", show_default=True)
def import_cmd(path, draft, author):
    """Bulk-import articles from JSON / CSV / XLSX / DOCX (all or nothing)."""
    from pathlib import Path

    from knowledge_base.importer import ImportRejected, import_file

    svc = build_services(load_settings())
    try:
        report = import_file(svc.kb, path, Path(path).read_bytes(), author=author, publish=not draft, progress=True)
    except ImportRejected as exc:
        click.echo(exc.message, err=True)
        for err in exc.details.get("errors", []):
            for field, messages in err["errors"].items():
                click.echo(f"  第 {err['row']} 行 {field}: {'；'.join(messages)}", err=True)
        sys.exit(1)
    click.echo(f"导入完成：{report.rows} 行，新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}")


@click.command()
def calibrate() -> None:
    """Recalibrate how sure the KB must be to answer (a large KB: the lead its top hit needs); also done in the
    background after imports and syncs that change the KB's size by a tenth."""
    svc = build_services(load_settings())
    result = svc.kb.recalibrate(progress=True)
    p = result.policy
    click.echo(
        f"已校准：{result.articles} 条；直接答复需得分≥{p.answer:.2f}且领先≥{p.margin:.2f}；" + "；".join(result.notes)
    )


@click.command("vocab-learn")
def vocab_learn() -> None:
    """Suggest vocabulary terms (词表) from the published articles' similar questions; editors accept them in the
    console (suggestions are never active before)."""
    svc = build_services(load_settings())
    report = svc.vocabulary.learn(progress=True)
    click.echo(
        f"已读取 {report['articles']} 篇文章；建议 {report['suggested']} 条（新增 {report['created']}，"
        f"更新 {report['updated']}，删除无依据的 {report['dropped']}）；请在控制台“词表”中采纳或忽略"
    )


COMMANDS = (ingest, reindex, import_cmd, calibrate, vocab_learn)
