"""One router per area of the hub; the app factory lists them in ``ROUTERS``."""
