-- jsonb columns of the stage become text: COPY then skips parsing them, and only written rows are parsed.
ALTER TABLE {stage} {alterations}
