"""The work-order directory: `unit-add` (a handling unit, 承办单位)."""

from __future__ import annotations

import sys

import click

from hotline.errors import HotlineError
from hotline.settings import load_settings
from webapp.services import build_services


@click.command("unit-add")
@click.argument("name")
@click.option("--region", default="", help="所辖地区，如 河南省新乡市")
@click.option("--domain", "domains", multiple=True, help="业务领域（可多次）：公路、水路、道路运输、城市客运…")
@click.option("--duties", default="", help="职责说明")
@click.option("--authority", is_flag=True, help="本级交通运输主管部门（接收安全生产类工单）")
def unit_add(name, region, domains, duties, authority):
    """Add a handling unit (承办单位) to the directory used for dispatching."""
    work_orders = build_services(load_settings()).work_orders
    try:
        unit = work_orders.add_unit(name, region, list(domains), duties, authority)
    except HotlineError as exc:
        sys.exit(exc.message)
    click.echo(f"已添加承办单位 {unit['name']} (id={unit['id']})")


COMMANDS = (unit_add,)
