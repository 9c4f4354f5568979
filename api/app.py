"""The FastAPI app, built from settings; the engine and broker client live in its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import (
    errors,
    openapi_links,
    routes_accounts,
    routes_calls,
    routes_dnc,
    routes_events,
    routes_jobs,
    routes_tasks,
    schemas,
)
from api.auth import RateLimiter
from api.nudge import Nudger
from api.responses import SafeJSONResponse
from models.settings import Settings
from models.storage import db


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engine = db.create_engine(settings.database_url, pool_size=10)
        app.state.nudger = Nudger(settings.broker_url)
        app.state.rate_limiter = RateLimiter(settings.api_rate_per_s, settings.api_rate_burst,
                                             "requests for this client")
        app.state.auth_failures = RateLimiter(
            settings.api_auth_failures_per_s, settings.api_auth_failure_burst,
            "failed authentications from this address")
        try:
            yield
        finally:
            app.state.nudger.close()
            app.state.engine.dispose()

    app = FastAPI(title="Ringback", version="0.1.0", lifespan=lifespan,
                  default_response_class=SafeJSONResponse,
                  # Operation ids are the route functions' names: links refer to them.
                  generate_unique_id_function=lambda route: route.name,
                  description="Outbound-callback scheduler: the task_scheduler API.")
    errors.install(app)
    app.include_router(routes_tasks.router)
    app.include_router(routes_events.router)
    app.include_router(routes_jobs.router)
    app.include_router(routes_accounts.router)
    app.include_router(routes_calls.router)
    app.include_router(routes_dnc.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the request bodies the routes read and validate themselves."""
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for model in schemas.REQUEST_MODELS:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(schema.pop("$defs", {}))
            components[model.__name__] = schema
        document["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"}}
        document["security"] = [{"bearer": []}]
        openapi_links.add_links(document)
        app.openapi_schema = document
    return app.openapi_schema
