"""CLI area — backup, restore: the in-chart PostgreSQL's data, to and from a file on this machine."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli.deploy import NamespaceOpt, ReleaseOpt, TargetOpt

ArchiveToWrite = typer.Argument(..., help="archive to write (pg_dump custom format)")
ArchiveToRead = typer.Argument(..., help="archive written by `tcb backup`")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""

    @app.command()
    def backup(
        path: Path = ArchiveToWrite,
        target: str = TargetOpt,
        namespace: str = NamespaceOpt,
        release: str = ReleaseOpt,
    ) -> None:
        """Dump the release's database (pg_dump in its PostgreSQL pod) into PATH."""
        from harness import backup as db_backup
        from harness.deploy import find_release

        rel = find_release(target=target, namespace=namespace, release=release)
        try:
            result = db_backup.backup(rel, path)
        except db_backup.BackupError as exc:
            typer.echo(f"backup failed: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(
            f"backup of {namespace}/{release} ({result.pod}): {path},"
            f" {result.bytes} bytes in {result.seconds:.1f}s"
        )

    @app.command()
    def restore(
        path: Path = ArchiveToRead,
        target: str = TargetOpt,
        namespace: str = NamespaceOpt,
        release: str = ReleaseOpt,
    ) -> None:
        """Replace the release's data with PATH's (pg_restore in its PostgreSQL pod, one transaction).

        The backend and chatbot stop while it runs and start again afterwards."""
        from harness import backup as db_backup
        from harness.deploy import find_release

        try:
            db_backup.check_archive(path)  # before touching the cluster
            rel = find_release(target=target, namespace=namespace, release=release)
            took = db_backup.restore(rel, path)
        except db_backup.BackupError as exc:
            typer.echo(f"restore failed: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"restored {path} into {namespace}/{release} in {took:.1f}s")
