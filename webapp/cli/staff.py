"""Staff accounts: `user-add`, `user-passwd`."""

from __future__ import annotations

import click

from hotline.settings import load_settings
from webapp.services import build_services


@click.command("user-add")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["admin", "editor", "publisher", "operator", "unit", "supervisor"]),
)
@click.option("--unit-id", type=int, default=None, help="承办单位账号所属单位ID")
@click.option("--region", default="", help="督办人员所辖地区，如 河南省")
@click.option("--name", "display_name", default=None, help="显示名")
@click.password_option()
def user_add(username, roles, unit_id, region, display_name, password):
    """Create a staff account (editor, publisher, …)."""
    accounts = build_services(load_settings()).accounts
    user = accounts.create_user(username, password, list(roles), display_name, unit_id=unit_id, region=region)
    click.echo(f"created {user.username} roles={','.join(user.roles)}")


@click.command("user-passwd")
@click.argument("username")
@click.password_option()
def user_passwd(username, password):
    """Set a new password for a staff account (signs it out everywhere)."""
    from hotline.errors import HotlineError

    try:
        build_services(load_settings()).accounts.set_password(username, password)
    except HotlineError as exc:
        raise SystemExit(exc.message) from exc
    click.echo(f"已为 {username} 设置新密码，其已登录的会话均已失效")


COMMANDS = (user_add, user_passwd)
