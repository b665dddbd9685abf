FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# xmlsec1: SAML signatures and encryption (pysaml2; docs/identity.md).
RUN apt-get update \
 && apt-get install -y --no-install-recommends xmlsec1 \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN python manage.py compile_translations \
 && DJANGO_SECRET_KEY=build python manage.py collectstatic --noinput
# The code stays root-owned (read-only to the app); only /app/var is the app's.
# The mount points exist here, owned by the app's user, so that the named volumes
# mounted on them (uploads, the static files the `migrate` service copies for the
# proxy) start out writable for it.
RUN useradd --system --home /app chat \
 && mkdir -p /app/var/media /app/var/beat /app/var/static \
 && chown -R chat /app/var
USER chat
EXPOSE 8000
# A large listen backlog: reconnect storms overflow Twisted's default of 50 (docs/deployment.md).
# No --proxy-headers: it trusts the left-most X-Forwarded-For entry, which the client
# writes. The application takes the client's address itself (TRUSTED_PROXY_COUNT).
# SIGTERM: sockets are closed with 4001 (reconnect elsewhere) before daphne stops
# (chatservice/lifecycle.py); compose gives it stop_grace_period.
STOPSIGNAL SIGTERM
# --ping-interval/--ping-timeout: a socket whose client vanished without a close
# (half-open) is closed within about 52 s (docs/protocol.md, "Connections that vanish").
CMD ["daphne", "-e", "tcp:port=8000:interface=0.0.0.0:backlog=4096", "--websocket_connect_timeout", "30", "--ping-interval", "20", "--ping-timeout", "30", "chatservice.asgi:application"]
