"""Staff accounts: `user-add`."""
from __future__ import annotations

import click

from hotline.settings import load_settings
from webapp.services import build_services


@click.command("user-add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["admin", "editor", "publisher", "operator", "unit", "supervisor"]))
@click.option("--unit-id", type=int, default=None, help="承办单位账号所属单位ID")
@click.option("--region", default="", help="督办人员所辖地区，如 河南省")
@click.option("--name", "display_name", default=None, help="显示名")
@click.password_option()
def user_add(username, roles, unit_id, region, display_name, password):
    """Create a staff account (editor, publisher, …)."""
    accounts = build_services(load_settings()).accounts
    user = accounts.create_user(username, password, list(roles), display_name, unit_id=unit_id, region=region)
    click.echo(f"created {user.username} roles={','.join(user.roles)}")


COMMANDS = (user_add,)
