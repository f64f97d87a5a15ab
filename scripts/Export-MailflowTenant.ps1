#Requires -Version 7.0
<#
.SYNOPSIS
    Export the Exchange Online settings the mail-flow KB's tenant checks read, to <Tenant>.json.

.DESCRIPTION
    Read-only. The session loads only the Get-* cmdlets listed in $ReadCmdlets
    (Connect-ExchangeOnline -CommandName), so nothing in this script can change the tenant.

    Writes <OutputFolder>/<Tenant>.json in the shape of the project's contract
    (CONTRACT.md, "Tenant configuration checks"): multi-valued properties as arrays of strings,
    booleans as true/false, the export's time in UTC. The file is written to a temporary file in
    the same folder and renamed over the old one, so a reader never sees half a file; when
    anything fails, the previous export stays as it was and the script exits non-zero.

    Docs: docs/tenant/export.md (how to run it, which role the account needs).

.PARAMETER Tenant
    The tenant as domains.yml names it: the initial domain without .onmicrosoft.com (contoso for
    contoso.onmicrosoft.com).

.PARAMETER OutputFolder
    Where to write <Tenant>.json. Default: $env:MAILFLOW_TENANTS, else "tenants".

.PARAMETER UserPrincipalName
    Interactive sign-in: the account to sign in with (optional; a browser asks otherwise).

.PARAMETER DelegatedOrganization
    Interactive sign-in as a partner (CSP delegated administration): the customer organization to
    export, its primary .onmicrosoft.com domain (normally <Tenant>.onmicrosoft.com) or its tenant
    ID. Passed to Connect-ExchangeOnline -DelegatedOrganization, which works only if the customer
    has agreed to delegated management through the CSP program; sign in with the partner account.
    https://learn.microsoft.com/powershell/module/exchangepowershell/connect-exchangeonline

.PARAMETER AppId
    App-only sign-in (nightly job): the application (client) ID of the app registration.

.PARAMETER CertificateThumbprint
    App-only sign-in on Windows: the certificate's thumbprint (in the user's certificate store).

.PARAMETER CertificateFilePath
    App-only sign-in on any system: the .pfx file of the certificate.

.PARAMETER CertificatePassword
    The .pfx file's password, as a SecureString.

.EXAMPLE
    ./scripts/Export-MailflowTenant.ps1 -Tenant contoso -UserPrincipalName admin@contoso.com

.EXAMPLE
    ./scripts/Export-MailflowTenant.ps1 -Tenant contoso -UserPrincipalName admin@partner.example -DelegatedOrganization contoso.onmicrosoft.com

.EXAMPLE
    ./scripts/Export-MailflowTenant.ps1 -Tenant contoso -AppId 36ee4c6c-0812-40a2-b820-b22ebd02bce3 -CertificateThumbprint 83213AEAC56D61C97AEE5C1528F4AC5EBA7321C1
#>
[CmdletBinding(DefaultParameterSetName = 'Interactive')]
param(
    [Parameter(Mandatory)]
    [ValidatePattern('^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')]
    [string] $Tenant,

    [string] $OutputFolder = $(if ($env:MAILFLOW_TENANTS) { $env:MAILFLOW_TENANTS } else { 'tenants' }),

    [Parameter(ParameterSetName = 'Interactive')]
    [string] $UserPrincipalName,

    [Parameter(ParameterSetName = 'Interactive')]
    [ValidatePattern('^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.onmicrosoft\.com|[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})$')]
    [string] $DelegatedOrganization,

    [Parameter(Mandatory, ParameterSetName = 'AppThumbprint')]
    [Parameter(Mandatory, ParameterSetName = 'AppFile')]
    [string] $AppId,

    [Parameter(Mandatory, ParameterSetName = 'AppThumbprint')]
    [string] $CertificateThumbprint,

    [Parameter(Mandatory, ParameterSetName = 'AppFile')]
    [string] $CertificateFilePath,

    [Parameter(ParameterSetName = 'AppFile')]
    [securestring] $CertificatePassword
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# The only cmdlets the session gets: all read-only.
$ReadCmdlets = @(
    'Get-InboundConnector', 'Get-OutboundConnector', 'Get-ArcConfig', 'Get-DkimSigningConfig',
    'Get-AcceptedDomain', 'Get-TransportRule', 'Get-OrganizationConfig'
)

$Tenant = $Tenant.ToLowerInvariant()
$Organization = "$Tenant.onmicrosoft.com"

function Get-Prop {
    # A property's value, or $null when the object does not have it (older module versions).
    param($Object, [string] $Name)
    if ($null -eq $Object) { return $null }
    $property = $Object.PSObject.Properties[$Name]
    if ($property) { return $property.Value }
    return $null
}

# What is written of each cmdlet's objects: property -> how (Microsoft's property names; the
# contract's shape). strings: a multi-valued property as an array of its string forms (IP
# ranges, smart hosts, ...); text: a string or null; bool: true/false; int: a number or null.
$Shape = [ordered] @{
    'Get-InboundConnector'  = [ordered] @{
        Name = 'text'; Enabled = 'bool'; ConnectorType = 'text'; SenderIPAddresses = 'strings'
        SenderDomains = 'strings'; RestrictDomainsToIPAddresses = 'bool'
        RestrictDomainsToCertificate = 'bool'; TlsSenderCertificateName = 'text'
        EFSkipLastIP = 'bool'; EFSkipIPs = 'strings'; EFUsers = 'strings'
    }
    'Get-OutboundConnector' = [ordered] @{
        Name = 'text'; Enabled = 'bool'; ConnectorType = 'text'; SmartHosts = 'strings'
        UseMXRecord = 'bool'; RecipientDomains = 'strings'
    }
    'Get-DkimSigningConfig' = [ordered] @{
        Domain = 'text'; Enabled = 'bool'; Selector1CNAME = 'text'; Selector2CNAME = 'text'
    }
    'Get-AcceptedDomain'    = [ordered] @{ DomainName = 'text'; DomainType = 'text' }
    'Get-TransportRule'     = [ordered] @{
        Name = 'text'; State = 'text'; SetSCL = 'int'; SenderIpRanges = 'strings'
    }
}

function ConvertTo-Shape {
    # One property value in the form $Kind says.
    param($Value, [string] $Kind)
    switch ($Kind) {
        'bool' { return [bool] ($Value -eq $true) }
        'int' { if ($null -eq $Value) { return $null } else { return [int] $Value } }
        'strings' {
            if ($null -eq $Value) { return , [string[]] @() }
            return , [string[]] @($Value | Where-Object { $null -ne $_ } | ForEach-Object { $_.ToString() })
        }
        default { if ($null -eq $Value -or "$Value" -eq '') { return $null } else { return $Value.ToString() } }
    }
}

function Export-Cmdlet {
    # Every object the read-only cmdlet returns, as an ordered table of the properties in $Shape.
    param([string] $Name)
    $properties = $Shape[$Name]
    foreach ($object in @(& $Name)) {
        $row = [ordered] @{}
        foreach ($property in $properties.Keys) {
            $row[$property] = ConvertTo-Shape (Get-Prop $object $property) $properties[$property]
        }
        $row
    }
}

Import-Module ExchangeOnlineManagement -MinimumVersion 3.0.0

$connect = @{ ShowBanner = $false; CommandName = $ReadCmdlets }
switch ($PSCmdlet.ParameterSetName) {
    'AppThumbprint' {
        $connect.AppId = $AppId
        $connect.CertificateThumbprint = $CertificateThumbprint
        $connect.Organization = $Organization
    }
    'AppFile' {
        $connect.AppId = $AppId
        $connect.CertificateFilePath = (Resolve-Path -LiteralPath $CertificateFilePath).Path
        if ($CertificatePassword) { $connect.CertificatePassword = $CertificatePassword }
        $connect.Organization = $Organization
    }
    default {
        if ($UserPrincipalName) { $connect.UserPrincipalName = $UserPrincipalName }
        # A partner's session mapped to the customer; the accepted-domain test below still
        # refuses to write unless that customer is $Tenant.
        if ($DelegatedOrganization) { $connect.DelegatedOrganization = $DelegatedOrganization }
    }
}

$folder = New-Item -ItemType Directory -Force -Path $OutputFolder
$target = Join-Path $folder.FullName "$Tenant.json"
$temp = Join-Path $folder.FullName ".$Tenant.json.$PID.tmp"

Connect-ExchangeOnline @connect
try {
    $accepted = @(Export-Cmdlet 'Get-AcceptedDomain')
    if (-not ($accepted | Where-Object { $_.DomainName -eq $Organization })) {
        throw "Signed in to a tenant without the accepted domain ${Organization}: this is not the tenant '$Tenant'. Nothing written."
    }
    $arc = Get-ArcConfig
    $org = Get-OrganizationConfig
    $export = [ordered] @{
        exported_at = (Get-Date).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [cultureinfo]::InvariantCulture)
        tenant      = $Organization
        cmdlets     = [ordered] @{
            'Get-InboundConnector'   = @(Export-Cmdlet 'Get-InboundConnector')
            'Get-OutboundConnector'  = @(Export-Cmdlet 'Get-OutboundConnector')
            'Get-ArcConfig'          = [ordered] @{ ArcTrustedSealers = ConvertTo-Shape (Get-Prop $arc 'ArcTrustedSealers') 'text' }
            'Get-DkimSigningConfig'  = @(Export-Cmdlet 'Get-DkimSigningConfig')
            'Get-AcceptedDomain'     = $accepted
            'Get-TransportRule'      = @(Export-Cmdlet 'Get-TransportRule')
            'Get-OrganizationConfig' = [ordered] @{ RejectDirectSend = Get-Prop $org 'RejectDirectSend' }
        }
    }
    $json = ConvertTo-Json -InputObject $export -Depth 8
    [System.IO.File]::WriteAllText($temp, $json + "`n", [System.Text.UTF8Encoding]::new($false))
    [System.IO.File]::Move($temp, $target, $true)  # same folder: a rename, atomic
    Write-Output "wrote $target"
}
finally {
    if (Test-Path -LiteralPath $temp) { Remove-Item -LiteralPath $temp -Force }
    Disconnect-ExchangeOnline -Confirm:$false
}
