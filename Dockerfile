# Cliffhanger in a container: docker compose up -d (see compose.yaml), or
#   docker build -t cliffhanger .
#   docker run -d --name cliffhanger --env-file .env -e DATABASE_PATH=/data/cliffhanger.db \
#     -v cliffhanger-data:/data --stop-timeout 30 --restart unless-stopped cliffhanger
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/cliffhanger.db

WORKDIR /app

# The runtime pins only (no test or lint tools), in a layer of their own so code changes reuse it.
COPY requirements/run.txt requirements/run.txt
RUN pip install --no-deps -r requirements/run.txt

# A user of its own; the database, its lock and its backups live in /data, the only writable place.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin cliffhanger \
    && mkdir /data \
    && chown cliffhanger:cliffhanger /data

COPY main.py ./
COPY bot bot
COPY cogs cogs
COPY data/shows data/shows
RUN python -m compileall -q main.py bot cogs

USER cliffhanger
VOLUME ["/data"]

# `main.py check` validates the settings and the database (integrity and schema) without connecting.
HEALTHCHECK --interval=5m --timeout=60s --start-period=30s --retries=3 CMD ["python", "main.py", "check"]

# SIGTERM lets the bot finish in-flight announcements; give it --stop-timeout 30 (compose does).
STOPSIGNAL SIGTERM
CMD ["python", "main.py"]
