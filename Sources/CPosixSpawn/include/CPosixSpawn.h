#ifndef PORTCULLIS_CPOSIXSPAWN_H
#define PORTCULLIS_CPOSIXSPAWN_H

#include <spawn.h>

/// Adds a file action that closes every descriptor >= `from` in the child, so a worker
/// inherits only what the master hands it on purpose. glibc declares
/// posix_spawn_file_actions_addclosefrom_np only under _GNU_SOURCE, which Swift's Glibc
/// module is not built with; this wrapper is compiled with it.
int portcullis_spawn_closefrom(posix_spawn_file_actions_t *actions, int from);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no child inherits unless handed over on purpose.
int portcullis_pipe_cloexec(int fds[2]);

/// memfd_create(name, MFD_CLOEXEC): anonymous shared memory that a child can be handed as a
/// descriptor and that outlives the child's mappings. Declared only under _GNU_SOURCE.
int portcullis_memfd(const char *name);

#endif
