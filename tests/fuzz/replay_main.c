/*
 * tests/fuzz/replay_main.c — runs a fuzz target without libFuzzer: each argument is a file or a directory whose
 * regular files (not subdirectories) are each passed once to LLVMFuzzerTestOneInput.
 *
 * Prints "replayed N inputs" and exits 0; exits 1 when an argument cannot be read or no input was found.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads the whole file into an exact-size buffer and runs it. Returns 0, or -1 if it cannot be read. */
static int replay_file(const char *file_path)
{
    FILE *file = fopen(file_path, "rb");
    if (file == NULL)
        return -1;
    size_t capacity = 4096, size = 0;
    uint8_t *data = malloc(capacity);
    int status = data ? 0 : -1;
    while (status == 0) {
        if (size == capacity) {
            uint8_t *grown = realloc(data, capacity * 2);
            if (grown == NULL) {
                status = -1;
                break;
            }
            data = grown;
            capacity *= 2;
        }
        size_t got = fread(data + size, 1, capacity - size, file);
        size += got;
        if (got == 0)
            status = ferror(file) ? -1 : 1;
    }
    fclose(file);
    if (status < 0) {
        free(data);
        return -1;
    }
    /* An exact-size copy lets a sanitizer see reads past the input's end. */
    uint8_t *input = malloc(size ? size : 1);
    if (input == NULL) {
        free(data);
        return -1;
    }
    if (size)
        memcpy(input, data, size);
    free(data);
    LLVMFuzzerTestOneInput(input, size);
    free(input);
    return 0;
}

/* Replays every regular file in the directory. Returns how many, or -1 on a read error. */
static long replay_directory(const char *dir_path)
{
    DIR *dir = opendir(dir_path);
    if (dir == NULL)
        return -1;
    long count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        size_t len = strlen(dir_path) + 1 + strlen(entry->d_name) + 1;
        char *file_path = malloc(len);
        if (file_path == NULL) {
            count = -1;
            break;
        }
        snprintf(file_path, len, "%s/%s", dir_path, entry->d_name);
        struct stat info;
        int status = 0;
        if (stat(file_path, &info) == 0 && S_ISREG(info.st_mode)) {
            status = replay_file(file_path);
            if (status == 0)
                count++;
            else
                fprintf(stderr, "replay: cannot read %s\n", file_path);
        }
        free(file_path);
        if (status != 0) {
            count = -1;
            break;
        }
    }
    closedir(dir);
    return count;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 1;
    }
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat info;
        long count;
        if (stat(argv[i], &info) != 0)
            count = -1;
        else if (S_ISDIR(info.st_mode))
            count = replay_directory(argv[i]);
        else
            count = replay_file(argv[i]) == 0 ? 1 : -1;
        if (count < 0) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            return 1;
        }
        total += count;
    }
    printf("replayed %ld inputs\n", total);
    if (total == 0) {
        fprintf(stderr, "replay: no inputs\n");
        return 1;
    }
    return 0;
}
