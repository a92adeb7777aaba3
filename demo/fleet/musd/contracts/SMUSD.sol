// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./AccessRoles.sol";
import "./ERC20Base.sol";
import "./Interfaces.sol";

/// Staked mUSD: an ERC-4626-shaped vault over mUSD. The runbook watches
/// convertToAssets(1e18) for decreases; simulateLoss() produces one, capped
/// at 10 % per call like the real vault's max-decrease guard (FIX D-M05).
contract SMUSD is ERC20Base, PausableRoles {
    uint256 public constant MAX_DECREASE_BPS = 1000;

    IERC20Like public immutable asset;

    event Deposit(address indexed sender, address indexed owner, uint256 assets, uint256 shares);
    event Withdraw(address indexed sender, address indexed receiver, address indexed owner, uint256 assets, uint256 shares);
    event LossReported(uint256 assets, uint256 assetsPerShareBefore, uint256 assetsPerShareAfter);

    constructor(address musd) ERC20Base("Staked mUSD", "smUSD", 18) {
        asset = IERC20Like(musd);
    }

    function totalAssets() public view returns (uint256) {
        return asset.balanceOf(address(this));
    }

    function convertToShares(uint256 assets) public view returns (uint256) {
        uint256 supply = totalSupply;
        if (supply == 0) return assets;
        uint256 held = totalAssets();
        require(held > 0, "SMUSD: vault has no assets");
        return (assets * supply) / held;
    }

    function convertToAssets(uint256 shares) public view returns (uint256) {
        uint256 supply = totalSupply;
        if (supply == 0) return shares;
        return (shares * totalAssets()) / supply;
    }

    function deposit(uint256 assets, address receiver) external whenNotPaused returns (uint256 shares) {
        shares = convertToShares(assets);
        require(shares > 0, "SMUSD: zero shares");
        require(asset.transferFrom(msg.sender, address(this), assets), "SMUSD: transfer failed");
        _mint(receiver, shares);
        emit Deposit(msg.sender, receiver, assets, shares);
    }

    function redeem(uint256 shares, address receiver, address owner) external whenNotPaused returns (uint256 assets) {
        if (msg.sender != owner) {
            uint256 allowed = allowance[owner][msg.sender];
            require(allowed >= shares, "ERC20: insufficient allowance");
            allowance[owner][msg.sender] = allowed - shares;
        }
        assets = convertToAssets(shares);
        require(assets > 0, "SMUSD: zero assets");
        _burn(owner, shares);
        require(asset.transfer(receiver, assets), "SMUSD: transfer failed");
        emit Withdraw(msg.sender, receiver, owner, assets, shares);
    }

    /// Simulation hook: a strategy loss. Moves `assets` mUSD out of the vault
    /// to the caller (so mUSD totalSupply is unchanged and the loss can be
    /// undone by transferring it back).
    function simulateLoss(uint256 assets) external onlyAdmin {
        uint256 held = totalAssets();
        require(assets * 10000 <= held * MAX_DECREASE_BPS, "SMUSD: loss exceeds 10% cap");
        uint256 before = convertToAssets(1e18);
        require(asset.transfer(msg.sender, assets), "SMUSD: transfer failed");
        emit LossReported(assets, before, convertToAssets(1e18));
    }
}
