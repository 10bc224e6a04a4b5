# Self-hosting image: docker build -t conversion-by-segment . && docker run -p 8501:8501 conversion-by-segment
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 1000 analyst
WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md requirements.txt ./
COPY conversion ./conversion
RUN pip install -r requirements.txt

COPY --chown=analyst:analyst . .
USER analyst

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
