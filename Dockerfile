FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN python manage.py compile_translations \
 && DJANGO_SECRET_KEY=build python manage.py collectstatic --noinput
RUN useradd --system --home /app chat && mkdir -p /app/var && chown chat /app/var
USER chat
EXPOSE 8000
# A large listen backlog: reconnect storms overflow Twisted's default of 50 (docs/deployment.md).
CMD ["daphne", "-e", "tcp:port=8000:interface=0.0.0.0:backlog=4096", "--websocket_connect_timeout", "30", "--proxy-headers", "chatservice.asgi:application"]
