FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY models ./models
COPY scheduler ./scheduler
COPY worker ./worker
COPY api ./api
COPY sip ./sip
RUN pip install --no-cache-dir . flower
RUN useradd --create-home ringback
USER ringback
