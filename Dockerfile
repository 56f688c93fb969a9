# Buurtroute for many cooperatives: one image for the web processes and the planning workers
# (compose.yaml runs it). `make run` stays the single-machine way; see README.md.
FROM python:3.11-slim

# WeasyPrint (web/pdf.py) draws with Pango and HarfBuzz; the PDFs are set in DejaVu Sans.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 \
      fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# The dependencies first, in their own layer: a code change does not reinstall OR-Tools.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

COPY . .
# Editable: the code stays in /app, where it finds data/areas beside it.
RUN pip install --no-deps -e . \
 && useradd --create-home --uid 10001 buurtroute \
 && mkdir -p instance data/osm/cache \
 && chown -R buurtroute instance data/osm

USER buurtroute
# Build every area whose extract is in the image (the offline demo areas, and Utrecht Oost
# when data/osm/utrecht-oost.osm.pbf was downloaded before the build) into the area cache,
# with its memory figure: no process builds one at run time.
RUN python -m routing.cli prepare && python -m routing.cli areas

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/openapi.json', timeout=4)"]
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--timeout", "120", "web:create_app()"]
