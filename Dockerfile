# mockpms as a service for integration CI:  docker build -t mockpms .
#   docker run -p 8080:8080 -e MOCKPMS_API_KEY=shop -e MOCKPMS_SECRET=secret mockpms
# Every option is an environment variable MOCKPMS_<FLAG> (see `mockpms serve --help`).
FROM python:3.12-slim

# Kept equal to mockpms.__version__ and CHANGELOG.md by tests/test_release.py.
LABEL org.opencontainers.image.title="mockpms" \
      org.opencontainers.image.description="A faithful, fast mock of the TTRetail PMS online-payment API" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT"

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
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mockpms \
    && mkdir /data && chown 10001 /data
# /data: where a volume goes for MOCKPMS_DATA_DIR=/data (a named volume takes the
# owner from here). Not a VOLUME: without MOCKPMS_DATA_DIR the sandbox is in memory.
USER 10001
WORKDIR /tmp

# Defaults, not settings: they rank below a mounted config file's host and port
# (MOCKPMS_CONFIG), which rank below MOCKPMS_HOST/MOCKPMS_PORT and flags.
ENV MOCKPMS_DEFAULT_HOST=0.0.0.0 \
    MOCKPMS_DEFAULT_PORT=8080
EXPOSE 8080

# Asks where the server really listens (MOCKPMS_PORT, MOCKPMS_HOST, the config file,
# or flags given after the image name), with the standard library only. Every
# second, so compose's `service_healthy` is reached about a second after start;
# one check costs ~60 ms of CPU (lengthen `interval` in compose if that matters).
# (--start-interval would do better, but podman 4 and Docker < 25 refuse it.)
HEALTHCHECK --interval=1s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-m", "mockpms.healthcheck"]

ENTRYPOINT ["mockpms", "serve"]
