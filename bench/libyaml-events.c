/* The baseline for `roomsync validate`: libyaml alone pulling every event of a file, doing nothing with
 * them but counting. Whatever roomsync does on top (a tree, strings, checks) is measured against this. */
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

static long count_events(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        perror(path);
        return -1;
    }
    yaml_parser_t parser;
    yaml_event_t event;
    if (!yaml_parser_initialize(&parser)) return -1;
    yaml_parser_set_input_file(&parser, file);
    long events = 0;
    int done = 0;
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            fprintf(stderr, "%s:%zu:%zu: error: %s\n", path, parser.problem_mark.line + 1,
                    parser.problem_mark.column + 1, parser.problem ? parser.problem : "parse error");
            yaml_parser_delete(&parser);
            fclose(file);
            return -1;
        }
        done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
        events++;
    }
    yaml_parser_delete(&parser);
    fclose(file);
    return events;
}

/* Several files are read one after the other, as `roomsync validate` reads a directory of manifests. */
int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argv[0]);
        return 2;
    }
    long events = 0;
    for (int i = 1; i < argc; i++) {
        long counted = count_events(argv[i]);
        if (counted < 0) return 1;
        events += counted;
    }
    printf("%ld events\n", events);
    return 0;
}
