#include "CPosixSpawn.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int portcullis_spawn_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int portcullis_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int portcullis_memfd(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}
