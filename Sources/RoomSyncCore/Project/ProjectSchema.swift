/// The JSON Schema (draft 2020-12) of `roomsync.yaml` (SPEC 11), for editors: `roomsync schema --project`.
/// It says what `ProjectFile.decode` checks field by field; `validate --project` also checks what a schema cannot
/// (two targets on one state).
public enum ProjectSchema {
    public static let json = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "https://roomsync.dev/schema/roomsync-project.schema.json",
          "title": "roomsync project file (roomsync.yaml)",
          "type": "object",
          "additionalProperties": false,
          "required": ["version", "targets"],
          "properties": {
            "version": {"const": 1},
            "targets": {
              "type": "object",
              "minProperties": 1,
              "propertyNames": {"pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"},
              "additionalProperties": {
                "type": "object",
                "additionalProperties": false,
                "required": ["corp_id", "secret_env", "manifests"],
                "properties": {
                  "corp_id": {"type": "string", "minLength": 1, "description": "The corp's id (ww…)."},
                  "secret_env": {
                    "type": "string", "pattern": "^[A-Z_][A-Z0-9_]*$",
                    "description": "The environment variable that holds this corp's secret; never the secret itself."
                  },
                  "manifests": {
                    "type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1},
                    "description": "Manifest files or folders, relative to the project file."
                  },
                  "endpoint": {"type": "string", "pattern": "^https?://", "description": "Default https://qyapi.weixin.qq.com."},
                  "state": {"type": "string", "minLength": 1, "description": "A state file or postgres:// URL; default .roomsync/NAME/state.json."},
                  "workspace": {"type": "string", "minLength": 1, "description": "The postgres workspace; default the target's name."},
                  "mass_delete_percent": {"type": "integer", "minimum": 0, "maximum": 100, "description": "This corp's mass-delete guard; default 30."}
                }
              }
            }
          }
        }

        """
}
