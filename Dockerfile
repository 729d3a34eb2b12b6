# The Croupier application image: one image, every process kind (`croupier run`, migrations).
FROM python:3.11-slim AS build
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY proto ./proto
COPY src ./src
# With the `otel` extra: tracing is then a matter of setting CROUPIER_OTEL_ENDPOINT, no rebuild
# (unset, OpenTelemetry is never imported).
RUN python -m venv /venv && /venv/bin/pip install '.[otel]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home /app croupier
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    CROUPIER_ENV=production CROUPIER_HTTP_HOST=0.0.0.0 CROUPIER_GRPC_HOST=0.0.0.0
USER croupier
WORKDIR /app
EXPOSE 8080 50051
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/health/ready').status != 200)"
CMD ["croupier", "run"]
