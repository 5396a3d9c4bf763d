SELECT _outcome, count(*) FROM {stage} GROUP BY _outcome
