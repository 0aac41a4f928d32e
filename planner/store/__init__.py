"""The workspace store: SQLite by default (any SQLAlchemy URL works); SQL stays in here."""

from planner.store.workspace import (
    ImportSummary,
    Workspace,
    WorkspaceError,
    data_home,
    default_workspace_path,
)

__all__ = ["ImportSummary", "Workspace", "WorkspaceError", "data_home", "default_workspace_path"]
