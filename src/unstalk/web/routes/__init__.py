"""One router per area of the app; :func:`unstalk.web.app.create_app` includes them all."""
