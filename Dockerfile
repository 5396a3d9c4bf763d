# front-sync on the official Airflow image, the version requirements.txt pins (apache-airflow==3.3.2, Python 3.11
# like the venv). The image holds code only: connections, Variables and secrets come from the environment
# (AIRFLOW_CONN_*, .env, a secrets backend) when a container starts; nothing here reads them.
FROM apache/airflow:3.3.2-python3.11

USER airflow
WORKDIR /opt/front-sync
# The exact tree the tests ran against (it pins Airflow itself, so pip never changes the image's Airflow).
COPY --chown=airflow:0 requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
# The project (front_sync package, its SQL, the provider entry point for the 'front' connection type) and the
# Front simulator (the demo's stand-in for Front; the docker-compose.yaml front-simulator service runs it).
COPY --chown=airflow:0 pyproject.toml ./
COPY --chown=airflow:0 include ./include
COPY --chown=airflow:0 simulator ./simulator
RUN pip install --no-cache-dir --no-deps . ./simulator
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins
COPY --chown=airflow:0 pools.json /opt/airflow/pools.json
WORKDIR /opt/airflow
