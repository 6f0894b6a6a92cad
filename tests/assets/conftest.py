from tests.agentapi.conftest import berlin

__all__ = ["berlin"]
