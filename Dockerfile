# The Croupier application image: one image for every process of the stack (each part of
# `croupier run`, the migrations, the operator's commands). docker-compose.yml runs it.
FROM python:3.11-slim AS build
WORKDIR /build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Exactly the locked versions, each file checked against its hash (requirements/app.txt, made
# by `./dev lock`: the runtime with the `otel` extra, so tracing is a matter of setting
# CROUPIER_OTEL_ENDPOINT, and what builds the project). A layer of its own: a code change
# does not reinstall the dependencies.
COPY requirements/app.txt ./requirements/
RUN python -m venv /venv \
 && /venv/bin/pip install --require-hashes -r requirements/app.txt
# setup.py is the build step that generates the gRPC code from proto/ (proto/generate.py);
# without it the package would ship no croupier.v1 stubs and gRPC would not start.
COPY pyproject.toml setup.py README.md ./
COPY proto ./proto
COPY src ./src
# The project itself, built from the locked packages only (no isolated build environment,
# nothing resolved anew); `pip check` fails the build if the lock misses a requirement.
RUN /venv/bin/pip install --no-deps --no-build-isolation . \
 && /venv/bin/pip check \
 && /venv/bin/python -c "import croupier.v1.betting_pb2_grpc, entrypoints.cli"

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --home-dir /app croupier
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    CROUPIER_ENV=production CROUPIER_HTTP_HOST=0.0.0.0 CROUPIER_GRPC_HOST=0.0.0.0
# Never root: the code and its dependencies belong to root and are read-only to the process.
USER 10001
WORKDIR /app
EXPOSE 8080 50051
# The default command runs every part, HTTP among them; compose gives each service its own.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["croupier", "health", "http"]
CMD ["croupier", "run"]
