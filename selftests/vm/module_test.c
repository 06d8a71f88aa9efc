// SPDX-License-Identifier: GPL-2.0
/*
 * mcrring.ko life cycle: load, parameters, /dev/mcrlog and its access
 * control, repeated load/unload.
 */
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mcr_vm.h"

#define MCR_TEST_GID 1000

/*
 * Open /dev/mcrlog in a child running as nobody, with the given
 * supplementary groups. Returns 0 or the -errno open() failed with.
 */
static int open_as_nobody(const gid_t *groups, int ngroups)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd;

		if (setgroups(ngroups, groups) || setgid(NOBODY) ||
		    setuid(NOBODY))
			_exit(200);
		fd = open(MCR_DEV_PATH, O_RDWR);
		_exit(fd < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

TEST(device_has_configured_mode)
{
	struct stat st;

	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload("mode=0640"));
	ASSERT_EQ(0, stat(MCR_DEV_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0640, st.st_mode & 07777);

	ASSERT_EQ(0, mcr_reload(NULL));
	ASSERT_EQ(0, stat(MCR_DEV_PATH, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
}

TEST(bad_parameters_are_refused)
{
	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_unload());
	EXPECT_EQ(-EINVAL, mcr_load("mode=01777"));
	EXPECT_EQ(-EINVAL, mcr_load("group=-5"));
	EXPECT_FALSE(mcr_loaded());
	EXPECT_NE(0, access(MCR_DEV_PATH, F_OK));
	ASSERT_EQ(0, mcr_load(NULL));
}

TEST(load_unload_50_times)
{
	struct stat st;
	int bad_before;

	REQUIRE_MODULE();
	bad_before = mcr_klog_bad_lines();
	ASSERT_LE(0, bad_before);
	for (int i = 0; i < 50; i++) {
		ASSERT_EQ(0, mcr_reload(NULL)) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, stat(MCR_DEV_PATH, &st)) TH_LOG("cycle %d", i);
	}
	ASSERT_EQ(0, mcr_unload());
	EXPECT_EQ(-1, stat(MCR_DEV_PATH, &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_NE(0, access("/sys/class/misc/mcrlog", F_OK));
	EXPECT_EQ(bad_before, mcr_klog_bad_lines());
	ASSERT_EQ(0, mcr_load(NULL));
}

TEST(unprivileged_open_without_mode_bits_is_denied)
{
	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload(NULL));		/* mode 0600, root only */
	EXPECT_EQ(-EACCES, open_as_nobody(NULL, 0));
}

TEST(group_parameter_admits_only_members)
{
	gid_t member = MCR_TEST_GID;

	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload("mode=0666 group=1000"));
	EXPECT_EQ(-EACCES, open_as_nobody(NULL, 0));
	EXPECT_EQ(0, open_as_nobody(&member, 1));
	ASSERT_EQ(0, mcr_reload(NULL));
}

TEST(unload_refused_while_open)
{
	int fd;

	REQUIRE_MODULE();
	ASSERT_EQ(0, mcr_reload(NULL));
	fd = open(MCR_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, mcr_unload());
	EXPECT_TRUE(mcr_loaded());
	close(fd);
	EXPECT_EQ(0, mcr_unload());
	ASSERT_EQ(0, mcr_load(NULL));
}

TEST_HARNESS_MAIN
