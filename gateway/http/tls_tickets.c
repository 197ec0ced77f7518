/* Session-ticket keys: read from a file shared by every instance (so a client resumes its session on whichever
 * instance the balancer picks), or random per process; a context seals and opens tickets with its own copy (contract
 * in tls.h). The keys are secrets: they never reach a log line, and their memory is wiped when freed. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"
#include "tls.h"

typedef struct ticket_key {
    unsigned char name[16], aes[32], hmac[32];
} ticket_key_t;

struct cong_tls_ticket_keys {
    size_t count;
    ticket_key_t keys[CONG_TLS_MAX_TICKET_KEYS];
};

static int keys_index = -1;
static pthread_once_t keys_index_once = PTHREAD_ONCE_INIT;

void cong_tls_ticket_keys_free(cong_tls_ticket_keys_t *keys)
{
    if (keys == NULL)
        return;
    OPENSSL_cleanse(keys, sizeof *keys);
    free(keys);
}

size_t cong_tls_ticket_keys_count(const cong_tls_ticket_keys_t *keys)
{
    return keys->count;
}

cong_tls_ticket_keys_t *cong_tls_ticket_keys_random(void)
{
    cong_tls_ticket_keys_t *keys = calloc(1, sizeof *keys);
    if (keys == NULL)
        return NULL;
    keys->count = 1;
    if (RAND_bytes((unsigned char *)&keys->keys[0], sizeof keys->keys[0]) != 1) {
        cong_tls_ticket_keys_free(keys);
        return NULL;
    }
    return keys;
}

/* Two keys of one name would make a ticket open with whichever comes first: a mistake in the file, refused. */
static int names_unique(const cong_tls_ticket_keys_t *keys)
{
    for (size_t i = 0; i < keys->count; i++)
        for (size_t j = i + 1; j < keys->count; j++)
            if (memcmp(keys->keys[i].name, keys->keys[j].name, sizeof keys->keys[i].name) == 0)
                return 0;
    return 1;
}

static void warn_if_readable_by_others(FILE *f, const char *path)
{
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        cong_log(CONG_LOG_WARN, "tls", "session ticket key file %s is readable by its group or others: whoever reads "
                                       "it can decrypt recorded TLS 1.2 sessions; chmod 600 it", path);
}

cong_tls_ticket_keys_t *cong_tls_ticket_keys_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cong_log(CONG_LOG_ERROR, "tls", "cannot read the session ticket key file %s: %s", path, strerror(errno));
        return NULL;
    }
    warn_if_readable_by_others(f, path);
    cong_tls_ticket_keys_t *keys = calloc(1, sizeof *keys);
    unsigned char extra;
    size_t got = keys != NULL ? fread(keys->keys, 1, sizeof keys->keys, f) : 0;
    int longer = keys != NULL && fread(&extra, 1, 1, f) == 1;
    fclose(f);
    if (keys == NULL)
        return NULL;
    keys->count = got / CONG_TLS_TICKET_KEY_BYTES;
    const char *problem = NULL;
    if (got == 0 || got % CONG_TLS_TICKET_KEY_BYTES != 0)
        problem = "its size is not a positive multiple of 80 bytes (16 name + 32 AES + 32 HMAC per key)";
    else if (longer)
        problem = "it holds more than 8 keys";
    else if (!names_unique(keys))
        problem = "two keys have the same name (its first 16 bytes)";
    if (problem != NULL) {
        cong_log(CONG_LOG_ERROR, "tls", "session ticket key file %s: %s", path, problem);
        cong_tls_ticket_keys_free(keys);
        return NULL;
    }
    return keys;
}

static void free_ctx_keys(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int index, long argl, void *argp)
{
    (void)parent, (void)ad, (void)index, (void)argl, (void)argp;
    cong_tls_ticket_keys_free(ptr);
}

static void make_keys_index(void)
{
    keys_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_ctx_keys);
}

static const ticket_key_t *find_key(const cong_tls_ticket_keys_t *keys, const unsigned char name[16], int *first)
{
    for (size_t i = 0; i < keys->count; i++)
        if (memcmp(keys->keys[i].name, name, sizeof keys->keys[i].name) == 0) {
            *first = i == 0;
            return &keys->keys[i];
        }
    return NULL;
}

/* OpenSSL's ticket callback: seal with the first key; open with the key the ticket names. Returns 1 (done), 2 (opened
 * with an older key: issue a new ticket), 0 (unknown key: a full handshake) or -1 (error). */
static int on_ticket_key(SSL *ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                         EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int seal)
{
    const cong_tls_ticket_keys_t *keys = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keys_index);
    if (keys == NULL || keys->count == 0)
        return seal ? -1 : 0;
    const ticket_key_t *key = &keys->keys[0];
    int first = 1;
    if (seal) {
        memcpy(name, key->name, sizeof key->name);
        if (RAND_bytes(iv, 16) != 1 || EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, key->aes, iv) != 1)
            return -1;
    } else {
        if ((key = find_key(keys, name, &first)) == NULL)
            return 0;
        if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), NULL, key->aes, iv) != 1)
            return -1;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)key->hmac, sizeof key->hmac),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_CTX_set_params(mac, params) != 1)
        return -1;
    return first ? 1 : 2;
}

int cong_tls_use_ticket_keys(SSL_CTX *ctx, const cong_tls_ticket_keys_t *keys)
{
    pthread_once(&keys_index_once, make_keys_index);
    cong_tls_ticket_keys_t *copy = malloc(sizeof *copy);
    if (keys_index < 0 || copy == NULL) {
        free(copy);
        return CONG_ENOMEM;
    }
    memcpy(copy, keys, sizeof *copy);
    if (SSL_CTX_set_ex_data(ctx, keys_index, copy) != 1) {
        cong_tls_ticket_keys_free(copy);
        return CONG_ENOMEM;
    }
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket_key);
    return 0;
}
