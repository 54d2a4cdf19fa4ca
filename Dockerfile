# Image of the portal, used by docker-compose.yml for web, worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
# The manifest of hashed static files is built once, into the image.
RUN DEBUG=0 ALLOWED_HOSTS=build SECRET_KEY=build-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "xixian_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
