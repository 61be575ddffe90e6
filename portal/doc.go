// Package portal is the vendor's side of licensing for many customers:
// organizations and their key storage, devices and seats, license groups,
// wallets and subscriptions, activation codes, vouchers, serial numbers,
// upgrades, delegation to partners, revocation and history.
//
// A license server or a management console wraps one [Portal], over a
// [PortalStore] that keeps its data ([MemoryPortalStore] in memory; the
// sqlite and postgres modules in one SQLite file and in PostgreSQL). Every
// customer operation goes through an [OrgScope], from [Portal.Org]. The
// licenses, keys and events it works with are those of package license,
// which is all an application that enforces its licenses needs to import.
//
// A license server built on a Portal finds there what it keeps beside:
// the bearer tokens that authenticate its requests ([Portal.CreateToken],
// [Portal.Authenticate]), the webhooks it posts events to
// ([Portal.AddWebhook]), and the renewal of the licenses of activation
// codes that applications ask for ([OrgScope.Renew], a license.Renewer).
package portal
