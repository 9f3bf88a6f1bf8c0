"""A bare FastAPI app: the baseline that api_throughput.py measures guardrail against."""

from __future__ import annotations

from fastapi import FastAPI


def create_app() -> FastAPI:
    """One sync endpoint returning a small JSON, served like guardrail (uvicorn --factory)."""
    app = FastAPI()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"message": "hello", "status": "ok"}

    return app
