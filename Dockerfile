# syntax=docker/dockerfile:1
#
# tracker container image: `docker build -t tracker:0.1.0 .`
#
# Two stages: the first builds a virtualenv with tracker and its PostgreSQL driver, the second
# copies only that virtualenv onto a clean slim base, so no build tooling or pip cache ships.
# The image runs as the numeric non-root user 10001 (numeric, so Kubernetes can check
# `runAsNonRoot` without reading /etc/passwd) and works on a read-only root filesystem:
# bytecode is compiled at install time and every writable path is a mounted volume (/tmp, /data).
# For production, pin the base image by digest (python:3.11-slim-bookworm@sha256:...).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/tracker
WORKDIR /src
# Only what the package build needs; .dockerignore keeps caches, venvs and databases out.
COPY pyproject.toml README.md ./
COPY tracker/ ./tracker/
COPY migrations/ ./migrations/
# pip compiles bytecode at install time, so the read-only image never needs to write .pyc files.
RUN /opt/tracker/bin/pip install ".[postgres]"

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="tracker" \
      org.opencontainers.image.description="What in our Kubernetes clusters is out of date, and how badly?" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 tracker \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin tracker \
 && mkdir -p /data \
 && chown 10001:10001 /data
COPY --from=build /opt/tracker /opt/tracker
# XDG_DATA_HOME: the default SQLite database lives in $XDG_DATA_HOME/tracker/ (mount a volume on /data).
# HOME points at /tmp so nothing tries to write into a missing or read-only home directory.
ENV PATH=/opt/tracker/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    XDG_DATA_HOME=/data \
    HOME=/tmp
WORKDIR /data
USER 10001:10001
ENTRYPOINT ["tracker"]
CMD ["run"]
