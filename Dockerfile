# mockpms as a service for integration CI:  docker build -t mockpms .
#   docker run -p 8080:8080 -e MOCKPMS_API_KEY=shop -e MOCKPMS_SECRET=secret mockpms
# Every option is an environment variable MOCKPMS_<FLAG> (see `mockpms serve --help`).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY mockpms ./mockpms
COPY fixtures ./fixtures
RUN pip install . && rm -rf /src

# A fixed numeric uid, so Kubernetes' runAsNonRoot can verify it.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mockpms
USER 10001
WORKDIR /tmp

ENV MOCKPMS_HOST=0.0.0.0 \
    MOCKPMS_PORT=8080
EXPOSE 8080

# Asks where the server really listens (MOCKPMS_PORT, MOCKPMS_HOST, the config file,
# or flags given after the image name), with the standard library only.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["python", "-m", "mockpms.healthcheck"]

ENTRYPOINT ["mockpms", "serve"]
