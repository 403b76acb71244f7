/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "environment.h"
#include "id128-util.h"
#include "strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* os-release fields passed on as container_host_* (systemd's container interface). */
static const struct {
	const char *field, *variable;
} host_fields[] = {
	{ "ID", "container_host_id" },
	{ "VERSION_ID", "container_host_version_id" },
	{ "BUILD_ID", "container_host_build_id" },
	{ "VARIANT_ID", "container_host_variant_id" },
	{ "IMAGE_ID", "container_host_image_id" },
	{ "IMAGE_VERSION", "container_host_image_version" },
};

int environment_build(const EnvironmentContext *c, char ***ret) {
	_cleanup_strv_free_ char **env = calloc(1, sizeof(char *));
	int r = 0;

	if (!env)
		return -ENOMEM;
	r |= strv_env_setf(&env, "PATH", DEFAULT_PATH);
	r |= strv_env_setf(&env, "container", "berth");
	r |= strv_env_setf(&env, "container_uuid", ID128_TO_UUID_STRING(c->uuid));
	r |= strv_env_setf(&env, "TERM", c->term ?: "vt220");
	if (c->user) {
		r |= strv_env_setf(&env, "HOME", c->user->home);
		r |= strv_env_setf(&env, "USER", c->user->name);
		r |= strv_env_setf(&env, "LOGNAME", c->user->name);
	}
	if (c->notify_socket)
		r |= strv_env_setf(&env, "NOTIFY_SOCKET", c->notify_socket);
	for (size_t i = 0; i < ELEMENTSOF(host_fields); i++) {
		const char *v = strv_env_get(c->host_os_release, host_fields[i].field);
		if (v)
			r |= strv_env_setf(&env, host_fields[i].variable, v);
	}
	STRV_FOREACH(e, c->extra)
		r |= strv_env_set(&env, *e);
	if (r < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(env);
	return 0;
}
