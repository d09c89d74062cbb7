# credits-bot: the Teams bot and its workers. Configuration only through the environment.
# PYTHON_IMAGE: another base with python and pip on PATH (scripts/offline-images.sh makes one
# for a machine that cannot reach a registry).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY dialogs dialogs
COPY cards cards
COPY credits credits
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /wheels /wheels
# DejaVu Sans for the statement PDFs (names with accents); a base without apt or a registry
# still builds, and its PDFs fall back to Helvetica with transliterated names
RUN (apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-dejavu-core \
      && rm -rf /var/lib/apt/lists/*) || echo "no fonts-dejavu-core: statement PDFs use Helvetica"
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
 && useradd --create-home --uid 10001 credits
USER credits
WORKDIR /home/credits
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["credits-bot"]
# In a container the bot must listen on all interfaces, which needs MicrosoftAppId (it refuses
# to expose an unauthenticated bot).
CMD ["serve", "--host", "0.0.0.0", "--port", "3978"]
