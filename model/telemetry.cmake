set(LS_MODEL_TELEMETRY_SOURCES telemetry.c alias.c)
