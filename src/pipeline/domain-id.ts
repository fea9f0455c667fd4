/** A domain's id in record ids and file names: lower case, runs of anything but letters and digits as one dash. */
export function domainId(domain: string): string {
    const id = domain.toLowerCase().normalize("NFKD").replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-+|-+$/g, "");
    return id === "" ? "domain" : id;
}
