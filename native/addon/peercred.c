/* Node addon: the credentials (pid, uid, gid) of the process at the other end of a connected Unix
 * socket, read with SO_PEERCRED, which Node cannot read by itself.
 *
 *   getPeerCred(fd) -> { pid, uid, gid }      throws on a bad fd or a socket without credentials
 *
 * The kernel records the credentials at connect(); the peer cannot change them afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, const char *what, int err)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
    napi_throw_error(env, "ERR_PEERCRED", msg);
    return NULL;
}

static napi_value get_peer_cred(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
        napi_throw_type_error(env, "ERR_PEERCRED", "getPeerCred(fd): one argument");
        return NULL;
    }
    int32_t fd;
    if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
        napi_throw_type_error(env, "ERR_PEERCRED", "getPeerCred(fd): fd must be a non-negative integer");
        return NULL;
    }
    struct ucred cred;
    socklen_t len = sizeof cred;
    memset(&cred, 0, sizeof cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, "SO_PEERCRED", errno);
    if (len != sizeof cred) return throw_errno(env, "SO_PEERCRED", EINVAL);
    napi_value obj, pid, uid, gid;
    if (napi_create_object(env, &obj) != napi_ok ||
        napi_create_int32(env, cred.pid, &pid) != napi_ok ||
        napi_create_uint32(env, cred.uid, &uid) != napi_ok ||
        napi_create_uint32(env, cred.gid, &gid) != napi_ok ||
        napi_set_named_property(env, obj, "pid", pid) != napi_ok ||
        napi_set_named_property(env, obj, "uid", uid) != napi_ok ||
        napi_set_named_property(env, obj, "gid", gid) != napi_ok) {
        napi_throw_error(env, "ERR_PEERCRED", "getPeerCred: out of memory");
        return NULL;
    }
    return obj;
}

static napi_value init(napi_env env, napi_value exports)
{
    napi_value fn;
    if (napi_create_function(env, "getPeerCred", NAPI_AUTO_LENGTH, get_peer_cred, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, "getPeerCred", fn) != napi_ok) return NULL;
    return exports;
}

#ifndef NODE_GYP_MODULE_NAME
#define NODE_GYP_MODULE_NAME peercred
#endif
NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
