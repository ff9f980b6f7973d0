/* Fuzz target: arbitrary bytes as a YAML configuration file. */
#include "core/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pcfmcp/config.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The loader takes a path: hand it an anonymous in-memory file. */
    int fd = memfd_create("pcfmcp-fuzz-config", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    pcfmcp_config_t *cfg = NULL;
    if (pcfmcp_config_new(&cfg) == PCFMCP_OK) {
        pcfmcp_config_load_file(cfg, path);
        char *dump = NULL;
        if (pcfmcp_config_dump(cfg, &dump) == PCFMCP_OK)
            pcfmcp_free(dump);
        pcfmcp_config_free(cfg);
    }
    close(fd);
    return 0;
}
