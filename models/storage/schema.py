"""Every table, on one MetaData: what the migrations build and are compared with."""

from __future__ import annotations

from models.storage import call_tables, columns, intake_tables, tables

metadata = columns.metadata
# Importing a table module defines its tables on the MetaData.
TABLE_MODULES = (tables, call_tables, intake_tables)
