-- Staging tables live for one attempt: a bisected batch stages each half again under the same names.
DROP TABLE IF EXISTS {tables}
