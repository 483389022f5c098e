"""The HTTP edge: `create_app(service)` and the tokens that guard it.

See `soulbeat.api.app` for what the app does and does not do, `soulbeat.api.auth` for the
tokens, `soulbeat.api.errors` for error bodies and `soulbeat.api.routes` for the endpoints.
"""

from soulbeat.api.app import create_app
from soulbeat.api.auth import ensure_api_token, ensure_hook_token

__all__ = ["create_app", "ensure_api_token", "ensure_hook_token"]
